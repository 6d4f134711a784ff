module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'mrl-embeddings',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
};
