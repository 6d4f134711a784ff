module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'emergent',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
};
