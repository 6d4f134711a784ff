module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'hierarchy-imposed',
  rootDir: __dirname,
};
