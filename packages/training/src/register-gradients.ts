// Training takes gradients, and TensorFlow.js registers its gradient functions (and the chained
// tensor methods) only in the @tensorflow/tfjs union package; tfjs-core's CommonJS bundle has
// none. Imported for its side effect by every module here that differentiates.
import '@tensorflow/tfjs';
