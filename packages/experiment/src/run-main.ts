// The process around a command: run it, then exit with one line on error (the command-line
// contract, docs/ARCHITECTURE.md). The runner's, used by every app's main.
import { HelpRequested } from './cli/errors';

/**
 * The command stopped before it finished because the user asked (Ctrl-C, SIGTERM), after saving
 * its state and saying so: `runMain` exits with 130, the shell's status for an interrupt, so that
 * `train && analyze` does not go on, and prints nothing more.
 */
export class StoppedEarly extends Error {
  constructor() {
    super('stopped early');
    this.name = 'StoppedEarly';
  }
}

/** Exit status after `StoppedEarly` (128 + SIGINT). */
export const STOPPED_EXIT_CODE = 130;

/** Where `runMain` writes and how it exits; injectable so tests need not end the process. */
export interface RunMainIo {
  /** Ends the program with this status. Default: flush stdout/stderr, then `process.exit`. */
  exit?: (code: number) => void;
  /** Writes one line (without its newline) to stderr. */
  stderr?: (line: string) => void;
  /** Writes text (the usage on `--help`) to stdout. */
  stdout?: (text: string) => void;
  /** Environment read for `MATRYOSHKA_DEBUG`. Default: `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * Runs an app's `main`, then exits: 0 on success (and on `--help`), 130 after `StoppedEarly`, 1
 * after printing `error: <message>` for any other thrown error. `MATRYOSHKA_DEBUG=1` adds the stack trace.
 * Resolves to the exit code (useful when `exit` is injected).
 */
export async function runMain(main: () => Promise<void>, io: RunMainIo = {}): Promise<number> {
  const exit = io.exit ?? exitAfterFlush;
  const stderr = io.stderr ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const stdout = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const env = io.env ?? process.env;
  let code = 0;
  try {
    await main();
  } catch (error) {
    if (error instanceof HelpRequested) {
      stdout(error.usage.endsWith('\n') ? error.usage : `${error.usage}\n`);
    } else if (error instanceof StoppedEarly) {
      code = STOPPED_EXIT_CODE;
    } else {
      code = 1;
      stderr(`error: ${oneLine(error)}`);
      if (env.MATRYOSHKA_DEBUG === '1' && error instanceof Error && error.stack) stderr(error.stack);
    }
  }
  exit(code);
  return code;
}

// The contract promises one line; a multi-line message from a library is folded into one.
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

// process.exit right after a write can cut off piped output; wait for both streams to drain.
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
