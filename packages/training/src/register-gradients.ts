// Training takes gradients, and TensorFlow.js registers its gradient functions (and the chained
// tensor methods) only in the @tensorflow/tfjs union package; tfjs-core's CommonJS bundle has
// none. Loaded for that side effect by every module here that differentiates. A require, not an
// import, so that the union's typings (tfjs-layers' among them, which do not compile under
// strict settings) stay out of this package's .d.ts files.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('@tensorflow/tfjs');

export {};
