// etcdctl elect <name> <proposal>: campaigns with the client-side election recipe over a
// session lease (clientv3's default 60 s TTL), prints the leader key and value once
// elected, holds leadership until SIGINT/SIGTERM, then resigns. `elect -l <name>` prints
// each leader value as it changes until interrupted.

import { ClientError } from '../../client/errors.js';
import { RangeRequest } from '../../gen/etcdserverpb/rpc.js';
import { clientKv } from '../../concurrency/client-kv.js';
import { ClientSession } from '../../concurrency/client-session.js';
import { campaign, observe, resign } from '../../concurrency/election.js';
import { DEFAULT_SESSION_TTL } from '../../concurrency/server-kv.js';
import { CtlError, ExitCode } from './errors.js';
import { immediatePrinter, Interrupt } from './interrupt.js';
import type { Printer } from './printer.js';
import type { Session } from './session.js';
import { byteStringBytes } from '../../pkg/byte-string.js';

export async function electCommand(s: Session): Promise<number> {
  if (s.args.length !== 1 && s.args.length !== 2) throw new CtlError('elect takes one election name argument and an optional proposal argument', ExitCode.BadArgs);
  const listen = s.flags.bool('listen');
  if (s.args.length === 1 && !listen) throw new CtlError('no proposal argument but -l not set', ExitCode.BadArgs);
  if (s.args.length === 2 && listen) throw new CtlError('proposal given but -l is set', ExitCode.BadArgs);
  const printer = immediatePrinter(s);
  const c = await s.client();
  const interrupt = new Interrupt();
  let session: ClientSession | undefined;
  try {
    // etcdctl opens a session for observing too, though only campaigning uses its lease.
    session = await s.call(() => ClientSession.open(c, DEFAULT_SESSION_TTL));
    const name = byteStringBytes(s.args[0]!);
    if (listen) return await watchLeaders(s, printer, name, interrupt);
    const kv = clientKv(c);
    const { leader } = await s.call(() => campaign(kv, name, session!.lease, byteStringBytes(s.args[1]!), interrupt.signal));
    printer.get?.(await s.call(() => c.range(RangeRequest.fromPartial({ key: leader.key }))));
    const ended = await Promise.race([interrupt.received.then(() => 'signal' as const), session.expired.then(() => 'expired' as const)]);
    if (ended === 'expired') throw new CtlError('elect: session expired', ExitCode.Error);
    await s.call(() => resign(clientKv(c, s.commandTimeoutMs), leader));
    return ExitCode.Success;
  } catch (e) {
    if (e instanceof CtlError || e instanceof ClientError) throw e;
    throw new CtlError(e instanceof Error ? e.message : String(e), ExitCode.Error);
  } finally {
    interrupt.dispose();
    session?.close();
    c.close();
  }

  async function watchLeaders(s: Session, p: Printer, name: Buffer, interrupt: Interrupt): Promise<number> {
    try {
      for await (const v of observe(clientKv(c), name, interrupt.signal)) {
        p.get?.({ header: v.header, kvs: [v.kv], more: false, count: 0n });
      }
    } catch {
      // A failed watch ends observation as a closed channel does in clientv3.
    }
    if (interrupt.signal.aborted) return ExitCode.Success;
    throw new CtlError('elect: observer lost', ExitCode.Error);
  }
}
