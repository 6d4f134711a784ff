import { HelpRequested, UserError } from './cli/errors';
import { runMain, StoppedEarly } from './run-main';

function harness(env: Record<string, string | undefined> = {}) {
  const io = {
    codes: [] as number[],
    errors: [] as string[],
    out: [] as string[],
    exit: (code: number) => void io.codes.push(code),
    stderr: (line: string) => void io.errors.push(line),
    stdout: (text: string) => void io.out.push(text),
    env,
  };
  return io;
}

describe('runMain', () => {
  it('exits 0 and prints nothing when main succeeds', async () => {
    const io = harness();
    let ran = false;
    const code = await runMain(async () => {
      ran = true;
    }, io);
    expect(ran).toBe(true);
    expect(code).toBe(0);
    expect(io.codes).toEqual([0]);
    expect(io.errors).toEqual([]);
  });

  it('prints one line "error: <message>" and exits 1 on a UserError', async () => {
    const io = harness();
    const code = await runMain(async () => {
      throw new UserError('--steps must be an integer, got "ten"');
    }, io);
    expect(code).toBe(1);
    expect(io.codes).toEqual([1]);
    expect(io.errors).toEqual(['error: --steps must be an integer, got "ten"']);
  });

  it('treats any other Error (and non-Error throws) the same, folded onto one line', async () => {
    const io = harness();
    await runMain(async () => {
      throw new Error('first line\n   second line');
    }, io);
    await runMain(async () => {
      throw 'a string';
    }, io);
    expect(io.codes).toEqual([1, 1]);
    expect(io.errors).toEqual(['error: first line second line', 'error: a string']);
  });

  it('adds the stack only with MATRYOSHKA_DEBUG=1', async () => {
    const io = harness({ MATRYOSHKA_DEBUG: '1' });
    await runMain(async () => {
      throw new UserError('bad');
    }, io);
    expect(io.errors[0]).toBe('error: bad');
    expect(io.errors[1]).toMatch(/UserError: bad\n\s+at /);
  });

  it('exits 130 (an interrupt, as the shell reports it) and prints nothing on StoppedEarly', async () => {
    const io = harness();
    const code = await runMain(async () => {
      throw new StoppedEarly();
    }, io);
    expect(code).toBe(130);
    expect(io.codes).toEqual([130]);
    expect(io.errors).toEqual([]);
    expect(io.out).toEqual([]);
  });

  it('prints the usage to stdout and exits 0 on --help', async () => {
    const io = harness();
    const code = await runMain(async () => {
      throw new HelpRequested('Usage: x [flags]');
    }, io);
    expect(code).toBe(0);
    expect(io.out).toEqual(['Usage: x [flags]\n']);
    expect(io.errors).toEqual([]);
  });
});
