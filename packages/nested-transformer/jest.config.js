module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'nested-transformer',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
};
