module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'experiment',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
};
