module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'matryoshka-layers',
  rootDir: __dirname,
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
};
