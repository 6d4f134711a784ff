// Errors a user can fix (printed as one line by the runner's runMain, docs/ARCHITECTURE.md, "The
// command-line contract"), and the request for the usage text.

/** Bad input from the user (a flag, a file, a run directory): printed without a stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Thrown by `parseFlags` on `--help`: `runMain` prints the usage to stdout and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super('help requested');
    this.name = 'HelpRequested';
  }
}
