// etcdctl's exit codes and the errors commands raise; main-etcdctl turns them into
// "Error: <message>" on stderr and the exit code, as etcdctl's ExitWithError does.

export const ExitCode = { Success: 0, Error: 1, BadConnection: 2, InvalidInput: 3, BadFeature: 4, Interrupted: 5, IO: 6, BadArgs: 128 } as const;

export class CtlError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** Printed on stderr before "Error: ..." (cobra's usage text after a flag error). */
    readonly preamble = '',
  ) {
    super(message);
    this.name = 'CtlError';
  }
}

/** Where etcdctl 3.4 panics: main prints Go's "panic: <msg>" and exits 2. */
export class GoPanic extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoPanic';
  }
}
