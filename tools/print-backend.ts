// Prints the tensor backend this machine will use (`backend: <name>`), for CI logs.
import { describeBackend, selectBackend } from '@matryoshka/matryoshka-layers';

selectBackend().then(
  () => {
    console.log(`backend: ${describeBackend()}`);
    process.exit(0);
  },
  (error: Error) => {
    console.error(`error: ${error.message}`);
    process.exit(1);
  },
);
