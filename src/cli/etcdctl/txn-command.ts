// txn: reads compares, success and failure requests from stdin (with prompts under
// --interactive), sends one Txn and prints the answer.

import { CtlError, ExitCode } from './errors.js';
import { display } from './printer.js';
import type { Session } from './session.js';
import { parseTxn } from './txn-parse.js';

export async function txnCommand(s: Session): Promise<number> {
  if (s.args.length !== 0) throw new CtlError('txn command does not accept argument', ExitCode.BadArgs);
  // etcdctl checks -w and makes its client (ETCDCTL_* warnings, a --user password prompt)
  // before it reads the transaction, so all of that comes before the first prompt.
  const { format, printer } = s.printer();
  const c = await s.client();
  try {
    const interactive = s.flags.bool('interactive');
    const txn = parseTxn(s.stdinLines(), interactive ? (t) => s.prompt(t) : undefined);
    display(printer, format, 'txn', await s.call(() => c.txn(txn)));
  } finally {
    c.close();
  }
  return ExitCode.Success;
}
