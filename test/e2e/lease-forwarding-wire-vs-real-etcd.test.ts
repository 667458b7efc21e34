// The follower→leader lease forwarding wire against a real etcd 3.4.23 peer port, so a
// mixed cluster keeps working both ways: our follower's forwarder (pipelined POSTs, and
// the lease-pipeline upgrade an etcd leader refuses) against an etcd leader, and the
// plain POSTs an etcd follower sends against our leader's peer port, answered as etcd's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, freePort, removeDir, startMember, stopMember } from '../helpers/processes.js';
import { HttpLeaseForwarder } from '../../src/server/lease-forwarding.js';
import { Errors } from '../../src/server/errors.js';
import { LeaseKeepAliveRequest, LeaseKeepAliveResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { dirname } from 'node:path';

/** What an etcd follower sends: one plain POST per keep-alive. */
async function plainKeepAlive(peerUrl: string, id: bigint): Promise<{ status: number; contentType: string | null; body: string | { sameID: boolean; TTL: bigint } }> {
  const res = await fetch(`${peerUrl}/leases`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/protobuf' },
    body: Buffer.from(LeaseKeepAliveRequest.encode({ ID: id }).finish()),
  });
  const raw = Buffer.from(await res.arrayBuffer());
  return { status: res.status, contentType: res.headers.get('content-type'), body: res.status === 200 ? sameId(LeaseKeepAliveResponse.decode(raw), id) : raw.toString('utf8') };
}

function sameId(r: LeaseKeepAliveResponse, id: bigint): { sameID: boolean; TTL: bigint } {
  return { sameID: r.ID === id, TTL: r.TTL };
}

async function session(kind: 'ours' | 'real'): Promise<unknown[]> {
  const peerPort = await freePort();
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const m = await startMember(kind, { peerPort });
  const forwarder = new HttpLeaseForwarder(() => [peerUrl]);
  try {
    const grant = etcdctl('real', ['--endpoints', m.endpoint, 'lease', 'grant', '600']);
    const hex = /lease ([0-9a-f]+) granted/.exec(grant.stdout)?.[1];
    assert.ok(hex, `${kind}: ${grant.stdout}${grant.stderr}`);
    const id = BigInt(`0x${hex}`);
    etcdctl('real', ['--endpoints', m.endpoint, 'put', 'k', 'v', '--lease', hex]);
    const seen: unknown[] = [];

    // Many at once: they share a few pipelined connections and must come back matched.
    const answers = await Promise.all(Array.from({ length: 300 }, () => forwarder.keepAlive(1n, id)));
    assert.ok(answers.every((a) => a.ID === id && a.TTL === 600n), `${kind}: ${JSON.stringify(answers.slice(0, 3), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
    seen.push('300 keep-alives: TTL 600');
    const ttl = await forwarder.timeToLive(1n, { ID: id, keys: true });
    seen.push({ ID: ttl.ID === id, grantedTTL: ttl.grantedTTL, keys: ttl.keys.map((k) => Buffer.from(k).toString()) });
    await assert.rejects(forwarder.keepAlive(1n, id + 1n), (e) => e === Errors.LeaseNotFound, `${kind}: keep-alive of an unknown lease`);
    await assert.rejects(forwarder.timeToLive(1n, { ID: id + 1n, keys: false }), (e) => e === Errors.LeaseNotFound, `${kind}: time-to-live of an unknown lease`);
    seen.push('unknown lease: not found');

    // An etcd follower's plain POSTs.
    seen.push(await plainKeepAlive(peerUrl, id));
    seen.push(await plainKeepAlive(peerUrl, id + 1n));
    return seen.map((s) => JSON.parse(JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown);
  } finally {
    forwarder.close();
    await stopMember(m);
    removeDir(dirname(m.dataDir));
  }
}

test('lease forwarding on the peer port works between etcd-ts and a real etcd in both directions', async () => {
  const real = await session('real');
  const ours = await session('ours');
  assert.deepEqual(ours, real);
  assert.deepEqual(real[3], { status: 200, contentType: 'application/protobuf', body: { sameID: true, TTL: '600' } });
  assert.deepEqual(real[4], { status: 404, contentType: 'text/plain; charset=utf-8', body: 'lease not found\n' });
});
