// A command runner whose module is imported only when the command runs, so that start-up
// (help, usage errors, `version`) does not pay for the client, gRPC and protobuf code.

import type { Session } from './session.js';

export type SessionRun = (s: Session) => Promise<number>;

/**
 * `load` imports the command's module and `pick` takes the runner from it; the session's
 * printers are loaded alongside, since nearly every such command prints a response.
 */
export function lazy<M>(load: () => Promise<M>, pick: (m: M) => SessionRun): SessionRun {
  return async (s) => {
    const [m] = await Promise.all([load(), s.load()]);
    return pick(m)(s);
  };
}
