// The pure-JS cpu backend is always there (the last fallback); the wasm and native backends are
// registered by the engine when it selects them. Gradients are not registered here: tfjs-core's
// CommonJS bundle has none, and only the @tensorflow/tfjs union package registers them (with
// layers, converter and data beside). Forward passes and generation need no gradients; code
// that trains loads that package (the training package does; tfjs-node loads it too).
import '@tensorflow/tfjs-backend-cpu';
