module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'imposed',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
};
