// Lease errors over gRPC (grpc-js through the project's client): the status code and
// message of each refusal, and the in-band answers (TTL -1 for time-to-live, TTL 0 on
// the keep-alive stream), compared between real etcd 3.4.23 and etcd-ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ClientError } from '../../src/client/client.js';
import { removeDir, startMember, stopMember } from '../helpers/processes.js';

async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    const r = (await fn()) as Record<string, unknown>;
    const { header: _h, ...rest } = r;
    return `ok ${JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
  } catch (e) {
    if (e instanceof ClientError) return `code ${e.code}: ${e.message}`;
    throw e;
  }
}

async function outcomes(kind: 'ours' | 'real'): Promise<string[]> {
  const m = await startMember(kind);
  const c = new Client({ endpoints: [m.endpoint] });
  try {
    const out: string[] = [];
    out.push(await outcome(() => c.leaseGrant(60, 1000n)));
    out.push(await outcome(() => c.leaseGrant(60, 1000n)));
    out.push(await outcome(() => c.leaseGrant(9_000_000_001n, 1001n)));
    out.push(await outcome(() => c.leaseGrant(9_000_000_000n, 1002n)));
    out.push(await outcome(() => c.leaseGrant(-5, 1003n)));
    out.push(await outcome(() => c.leaseRevoke(77n)));
    out.push(await outcome(() => c.leaseTimeToLive(77n, true)));
    out.push(await outcome(() => c.leaseKeepAliveOnce(77n)));
    out.push(await outcome(() => c.leaseKeepAliveOnce(1000n)));
    out.push(await outcome(() => c.put({ key: Buffer.from('k'), value: Buffer.from('v'), lease: 77n })));
    out.push(await outcome(() => c.txn({ success: [{ requestPut: { key: Buffer.from('k'), value: Buffer.from('v'), lease: 77n, prevKv: false, ignoreValue: false, ignoreLease: false } }] })));
    out.push(await outcome(() => c.leaseRevoke(1000n)));
    out.push(await outcome(() => c.leaseRevoke(1000n)));
    out.push(await outcome(() => c.leaseLeases()));
    return out;
  } finally {
    c.close();
    await stopMember(m);
    removeDir(m.dataDir.replace(/\/data$/, ''));
  }
}

test('lease refusals carry the same gRPC code and message as real etcd', async () => {
  const real = await outcomes('real');
  const ours = await outcomes('ours');
  assert.match(real[1]!, /^code 9: etcdserver: lease already exists$/);
  assert.deepEqual(ours, real);
});
