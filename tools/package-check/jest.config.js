module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'package-check',
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.spec.ts'],
};
