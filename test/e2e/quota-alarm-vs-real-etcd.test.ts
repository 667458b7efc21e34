// Seed 004's "mvcc: database space exceeded" flow, run with Debian's etcdctl against
// real etcd and against etcd-ts on the same ports (so the same member id): fill a small
// --quota-backend-bytes with 1 MiB values until a put fails, see the NOSPACE alarm in
// `endpoint status` and `alarm list`, then compact, defrag and disarm, and write again.
// The JSON gateway's /v3/maintenance/* answers are compared on the way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, freePort, removeDir, startMember, stopMember, tempDir, type CtlResult, type Member } from '../helpers/processes.js';

const QUOTA_BYTES = 16 * 1024 * 1024;
/** Far more 1 MiB puts than a 16 MiB quota admits: the loop must stop on the error. */
const MAX_PUTS = 40;

interface FlowResult {
  putsBeforeFailure: number;
  failure: CtlResult;
  statusErrors: string[];
  tableHasAlarm: boolean;
  alarmList: CtlResult;
  smallPut: CtlResult;
  get: CtlResult;
  del: CtlResult;
  compact: CtlResult;
  defrag: CtlResult;
  dbSizeBefore: number;
  dbSizeAfter: number;
  fileBefore: number;
  fileAfter: number;
  disarm: CtlResult;
  alarmListAfter: CtlResult;
  putAfter: CtlResult;
  gateway: Record<string, unknown>;
  memberIdDec: string;
}

function stripRetryLog(stderr: string): string {
  // etcdctl 3.4 logs a JSON warning line for each failed unary call before its error.
  return stderr
    .split('\n')
    .filter((l) => !l.includes('retry_interceptor'))
    .join('\n');
}

async function gatewayJson(m: Member, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${m.clientUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as unknown };
}

async function flow(kind: 'ours' | 'real', clientPort: number, peerPort: number): Promise<FlowResult> {
  const root = tempDir(`quota-${kind}-`);
  const m = await startMember(kind, { clientPort, peerPort, dataDir: join(root, 'data'), extraArgs: [`--quota-backend-bytes=${QUOTA_BYTES}`] });
  const ctl = (args: string[], input?: string) => etcdctl('real', [`--endpoints=${m.endpoint}`, ...args], input);
  const dbFile = join(m.dataDir, 'member', 'snap', 'db');
  try {
    // 1 MiB of random text (base64 of 768 KiB), the size of the seed's dd block.
    const value = randomBytes(768 * 1024).toString('base64');
    let puts = 0;
    let failure: CtlResult | undefined;
    while (puts < MAX_PUTS) {
      // `dd if=/dev/urandom bs=1024 count=1024 | etcdctl put key || break`
      const r = ctl(['put', 'key'], value);
      if (r.status !== 0) {
        failure = r;
        break;
      }
      puts++;
    }
    assert.ok(failure, `${kind}: ${MAX_PUTS} MiB were written under a ${QUOTA_BYTES} byte quota`);
    const statusText = ctl(['endpoint', 'status', '-w', 'json']).stdout;
    const status = JSON.parse(statusText) as { Status: { errors?: string[]; dbSize: number } }[];
    const table = ctl(['--write-out=table', 'endpoint', 'status']).stdout;
    // Read from the text: the id is a uint64, beyond a JSON number's precision.
    const memberIdDec = /"member_id":(\d+)/.exec(statusText)![1]!;
    const alarmList = ctl(['alarm', 'list']);
    const smallPut = ctl(['put', 'small', 'v']);
    const get = ctl(['get', 'key', '--keys-only']);
    const del = ctl(['del', 'nothing-here']);
    const gateway: Record<string, unknown> = {
      alarm: await gatewayJson(m, '/v3/maintenance/alarm', {}),
      alarmGet: await gatewayJson(m, '/v3/maintenance/alarm', { action: 'GET', alarm: 'NOSPACE' }),
      putRefused: await gatewayJson(m, '/v3/kv/put', { key: Buffer.from('g').toString('base64'), value: '' }),
    };
    // rev=$(etcdctl endpoint status --write-out="json" | egrep -o '"revision":[0-9]*' | egrep -o '[0-9]*')
    const revMatch = /"revision":([0-9]*)/.exec(ctl(['endpoint', 'status', '--write-out=json']).stdout);
    const rev = revMatch![1]!;
    const fileBefore = statSync(dbFile).size;
    const compact = ctl(['compact', rev]);
    const defrag = ctl(['defrag']);
    gateway.defragment = await gatewayJson(m, '/v3/maintenance/defragment', {});
    const after = JSON.parse(ctl(['endpoint', 'status', '-w', 'json']).stdout) as { Status: { dbSize: number } }[];
    const fileAfter = statSync(dbFile).size;
    const disarm = ctl(['alarm', 'disarm']);
    const alarmListAfter = ctl(['alarm', 'list']);
    const putAfter = ctl(['put', 'key', 'small-again']);
    gateway.alarmAfter = await gatewayJson(m, '/v3/maintenance/alarm', {});
    return {
      putsBeforeFailure: puts,
      failure: { ...failure, stderr: stripRetryLog(failure.stderr) },
      statusErrors: status[0]!.Status.errors ?? [],
      tableHasAlarm: table.includes(`memberID:${memberIdDec}`) && table.includes('alarm:NOSPACE'),
      alarmList,
      smallPut: { ...smallPut, stderr: stripRetryLog(smallPut.stderr) },
      get,
      del,
      compact,
      defrag,
      dbSizeBefore: status[0]!.Status.dbSize,
      dbSizeAfter: after[0]!.Status.dbSize,
      fileBefore,
      fileAfter,
      disarm,
      alarmListAfter,
      putAfter,
      gateway,
      memberIdDec,
    };
  } finally {
    await stopMember(m);
    removeDir(root);
  }
}

test('seed 004: a small quota raises NOSPACE; compact, defrag and disarm restore writes, as with real etcd', async () => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const real = await flow('real', clientPort, peerPort);
  const ours = await flow('ours', clientPort, peerPort);
  const endpoint = `127.0.0.1:${clientPort}`;
  const alarmLine = `memberID:${real.memberIdDec} alarm:NOSPACE \n`;

  for (const r of [real, ours]) {
    // Between 8 and 17 one-MiB puts fit (real etcd's bbolt grows faster than LMDB).
    assert.ok(r.putsBeforeFailure >= 8 && r.putsBeforeFailure <= 17, `puts before the alarm: ${r.putsBeforeFailure}`);
    assert.equal(r.failure.status, 1);
    assert.match(r.failure.stderr, /^Error: etcdserver: mvcc: database space exceeded$/m);
    assert.deepEqual(r.statusErrors, [`memberID:${real.memberIdDec} alarm:NOSPACE `]);
    assert.ok(r.tableHasAlarm);
    assert.equal(r.alarmList.stdout, alarmLine);
    assert.equal(r.smallPut.status, 1);
    assert.match(r.smallPut.stderr, /^Error: etcdserver: mvcc: database space exceeded$/m);
    assert.equal(r.get.stdout, 'key\n\n');
    assert.deepEqual([r.del.status, r.del.stdout], [0, '0\n']);
    assert.match(r.compact.stdout, /^compacted revision \d+\n$/);
    assert.equal(r.defrag.stdout, `Finished defragmenting etcd member[${endpoint}]\n`);
    assert.ok(r.dbSizeAfter < r.dbSizeBefore / 4, `db size ${r.dbSizeBefore} -> ${r.dbSizeAfter}`);
    assert.ok(r.fileAfter < r.fileBefore / 4, `db file ${r.fileBefore} -> ${r.fileAfter}`);
    assert.equal(r.disarm.stdout, alarmLine);
    assert.equal(r.alarmListAfter.stdout, '');
    assert.deepEqual([r.putAfter.status, r.putAfter.stdout], [0, 'OK\n']);
  }
  // Same ports, same member id: the gateway's maintenance answers are byte-identical.
  assert.deepEqual(ours.gateway, real.gateway);
});
