module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'nx-base',
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.spec.ts'],
};
