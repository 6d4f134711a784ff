// The commands' backend line: select the tensor backend for the workload, then say which, as the
// first status line (stderr, like every status line: stdout carries only a command's results).
import { describeBackend, selectBackend, type SelectBackendOptions } from '@matryoshka/matryoshka-layers';

export async function useBackend(options: SelectBackendOptions): Promise<string> {
  const name = await selectBackend(options);
  process.stderr.write(`backend: ${describeBackend()}\n`);
  return name;
}
