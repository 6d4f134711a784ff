// Run as its own process by engine.spec.ts: select the backend for a large model (tfjs-node with
// oneDNN where it is built, TensorFlow's noisiest start; else wasm) and print only its name.
import { selectBackend } from './engine';

void selectBackend({ activationSize: 1 << 20 }).then((name) => process.stdout.write(name));
