// Every tensor test file runs on the best backend that loads (MATRYOSHKA_BACKEND forces one),
// with TensorFlow.js's gradients registered (tests differentiate; the package itself does not).
import '@tensorflow/tfjs';
import { selectBackend } from './engine';

beforeAll(async () => {
  await selectBackend();
});
