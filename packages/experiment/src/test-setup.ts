// Every tensor test file runs on the best backend that loads (MATRYOSHKA_BACKEND forces one).
import { selectBackend } from '@matryoshka/matryoshka-layers';

beforeAll(async () => {
  await selectBackend();
});
