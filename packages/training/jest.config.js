module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'training',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
};
