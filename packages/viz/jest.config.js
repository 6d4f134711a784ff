module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'viz',
  rootDir: __dirname,
};
