// The playground's test is its end-to-end test: the built page in headless Chromium (src/*.spec.ts).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'playground',
  rootDir: __dirname,
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};
