// move-leader, run as etcdctl 3.4 runs it: find the leader among --endpoints by asking
// each for its status, then ask that leader to hand over to the given member.

import { goQuoteText } from '../../pkg/go-quote.js';
import { CtlError, ExitCode } from './errors.js';
import { display } from './printer.js';
import type { Session } from './session.js';

/** Go's strconv.ParseUint(text, 16, 64), with its error text. */
function parseHexId(text: string): bigint {
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new CtlError(`strconv.ParseUint: parsing ${goQuoteText(text)}: invalid syntax`, ExitCode.BadArgs);
  const v = BigInt(`0x${text}`);
  if (v >= 1n << 64n) throw new CtlError(`strconv.ParseUint: parsing ${goQuoteText(text)}: value out of range`, ExitCode.BadArgs);
  return v;
}

export async function moveLeaderCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new CtlError('move-leader command needs 1 argument', ExitCode.BadArgs);
  const target = parseHexId(s.args[0]!);
  const { format, printer } = s.printer();
  const eps = await s.endpoints();
  for (const ep of eps) {
    const c = await s.client([ep]);
    try {
      const st = await s.call(() => c.status(), 'passthrough');
      if (st.header?.memberId !== st.leader) continue;
      const resp = await s.call(() => c.moveLeader(target));
      display(printer, format, 'moveLeader', st.leader, target, resp);
      return ExitCode.Success;
    } finally {
      c.close();
    }
  }
  throw new CtlError(`no leader endpoint given at [${eps.join(' ')}]`, ExitCode.BadArgs);
}
