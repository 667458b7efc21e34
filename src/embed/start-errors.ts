// The two ways a member's start-up fails, kept apart from start-etcd.ts so that the
// modules it uses (certificate reading, discovery) can throw them without an import cycle.

/** A start that failed before the member ran; etcd logs it as a failed start (exit code as given). */
export class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

/**
 * A client port that cannot be served. etcd reads the client certificates only when it
 * starts serving the port, after the member is up, so an unreadable one ends the process
 * as a listener failure rather than a failed start; etcd-ts reads them before anything is
 * written, and reports them in etcd's words.
 */
export class ListenerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenerError';
  }
}
