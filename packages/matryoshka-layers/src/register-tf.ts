// tfjs-core's CommonJS bundle registers neither gradients nor chained tensor methods; the
// @tensorflow/tfjs union package registers both into the shared tfjs-core (tfjs-node pulls it in
// too). Loading it here makes training work on the wasm and cpu backends as well. Imported first
// by this package's index and engine.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
