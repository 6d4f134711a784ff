module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'affected-base',
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.spec.ts'],
};
