// alarm list, alarm disarm, defrag and endpoint hashkv, run as etcdctl 3.4 runs them.

import { AlarmRequest_AlarmAction, AlarmResponse } from '../../gen/etcdserverpb/rpc.js';
import { ClientError } from '../../client/client.js';
import { CtlError, ExitCode } from './errors.js';
import { display, type EndpointHash } from './printer.js';
import type { Session } from './session.js';

export async function alarmListCommand(s: Session): Promise<number> {
  const { format, printer } = s.printer();
  const c = await s.client();
  try {
    display(printer, format, 'alarm', await s.call(() => c.alarmList()));
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

/**
 * clientv3's AlarmDisarm with no member: list the alarms, deactivate each, and answer
 * with the deactivated ones in a response that has no header.
 */
export async function alarmDisarmCommand(s: Session): Promise<number> {
  const { format, printer } = s.printer();
  const c = await s.client();
  try {
    const listed = await s.call(() => c.alarmList());
    const ret = AlarmResponse.fromPartial({});
    for (const a of listed.alarms) {
      const r = await s.call(() => c.alarm({ action: AlarmRequest_AlarmAction.DEACTIVATE, memberID: a.memberID, alarm: a.alarm }));
      ret.alarms.push(...r.alarms);
    }
    display(printer, format, 'alarm', ret);
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

export async function defragCommand(s: Session): Promise<number> {
  const dataDir = s.flags.string('data-dir');
  if (dataDir !== '') {
    // etcdctl 3.4 defragments the directory itself, printing nothing when it succeeds.
    // The storage engine (lmdb, a native addon) is loaded only for this offline case.
    const { defragDataDir } = await import('../offline-defrag.js');
    try {
      await defragDataDir(dataDir, { waitingHint: 'To defrag a running etcd instance, omit --data-dir.', warn: (line) => s.err.line(line) });
    } catch (e) {
      throw new CtlError(e instanceof Error ? e.message : String(e), ExitCode.Error);
    }
    return ExitCode.Success;
  }
  let failed = false;
  for (const ep of await s.targetEndpoints()) {
    const c = await s.client([ep]);
    try {
      await s.call(() => c.defragment({ timeoutMs: s.commandTimeoutMs }), 'passthrough');
      s.out.line(`Finished defragmenting etcd member[${ep}]`);
    } catch (e) {
      failed = true;
      s.err.line(`Failed to defragment etcd member[${ep}] (${e instanceof ClientError ? e.userText : String(e)})`);
    } finally {
      c.close();
    }
  }
  return failed ? ExitCode.Error : ExitCode.Success;
}

export async function endpointHashKVCommand(s: Session): Promise<number> {
  const { format, printer } = s.printer();
  const rev = s.flags.int('rev');
  const hashes: EndpointHash[] = [];
  let lastErr: unknown;
  for (const ep of await s.targetEndpoints()) {
    const c = await s.client([ep]);
    try {
      hashes.push({ endpoint: ep, hashKV: await s.call(() => c.hashKV(rev), 'passthrough') });
    } catch (e) {
      lastErr = e;
      s.err.line(`Failed to get the hash of endpoint ${ep} (${e instanceof ClientError ? e.userText : String(e)})`);
    } finally {
      c.close();
    }
  }
  display(printer, format, 'endpointHashKV', hashes);
  // Unlike status, hashkv ends with the last failure as its error.
  if (lastErr !== undefined) throw lastErr;
  return ExitCode.Success;
}
