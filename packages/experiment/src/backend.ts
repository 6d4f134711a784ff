// The commands' backend line: select the tensor backend for the workload, then say which, as the
// first status line (stderr by default, like every status line: stdout carries only results).
import { describeBackend, selectBackend, type SelectBackendOptions } from '@matryoshka/matryoshka-layers';

export async function useBackend(
  options: SelectBackendOptions,
  log: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<string> {
  const name = await selectBackend(options);
  log(`backend: ${describeBackend()}`);
  return name;
}
