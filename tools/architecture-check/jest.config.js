module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'architecture-check',
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.spec.ts'],
};
