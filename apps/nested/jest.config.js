module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'nested',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
};
