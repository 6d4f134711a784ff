module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'hierarchy-emergent',
  rootDir: __dirname,
};
