// A follower's keep-alive and time-to-live reach the leader's lessor through the peer
// endpoints /leases and /leases/internal (etcd's wire format), and "not found" comes
// back as etcd's error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Lessor, type LeaseBackend } from '../../src/lease/lessor.js';
import { LeaseServer, type LeaseHost } from '../../src/server/lease-server.js';
import { HttpLeaseForwarder, leasePeerHandler } from '../../src/server/lease-forwarding.js';
import { Errors } from '../../src/server/errors.js';

const memoryBackend: LeaseBackend = { put: () => undefined, delete: () => undefined, range: () => [] };

function host(isLeader: boolean): LeaseHost {
  return {
    propose: async () => ({}),
    header: (rev) => ({ clusterId: 1n, memberId: isLeader ? 1n : 2n, revision: BigInt(rev), raftTerm: 3n }),
    currentRevision: () => 9,
    isLeader: () => isLeader,
    leader: () => 1n,
    nextId: () => 5n,
  };
}

test('a follower forwards keep-alive and time-to-live to the leader over the peer port', async () => {
  const clock = { ms: 0, nowMs() { return this.ms; } };
  const leaderLessor = new Lessor({ backend: memoryBackend, minTtlSec: 2, clock });
  leaderLessor.grant(42n, 30);
  leaderLessor.attach(42n, 0n, Buffer.from('k'));
  leaderLessor.promote(1000);
  const leader = new LeaseServer(leaderLessor, host(true));
  const handle = leasePeerHandler(leader);
  const peer = http.createServer((req, res) => {
    if (!handle(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
  try {
    const followerLessor = new Lessor({ backend: memoryBackend, minTtlSec: 2, clock });
    followerLessor.grant(42n, 30);
    const follower = new LeaseServer(followerLessor, host(false));
    await assert.rejects(follower.keepAlive(42n), (e) => e === Errors.NotLeader, 'no forwarder: not leader');
    follower.forwarder = new HttpLeaseForwarder((id) => (id === 1n ? [url] : []));

    clock.ms = 20_000;
    const ka = await follower.keepAlive(42n);
    assert.equal(ka.TTL, 30n);
    assert.equal(ka.header?.memberId, 2n, 'the answer lacks the follower header');
    assert.equal(leaderLessor.lookup(42n)!.remainingSec(clock.ms), 30, 'the leader did not renew');

    clock.ms = 25_000;
    const ttl = await follower.timeToLive({ ID: 42n, keys: true });
    assert.equal(ttl.TTL, 25n);
    assert.equal(ttl.grantedTTL, 30n);
    assert.deepEqual(ttl.keys.map(String), ['k']);

    await assert.rejects(follower.keepAlive(43n), (e) => e === Errors.LeaseNotFound);
    await assert.rejects(follower.timeToLive({ ID: 43n, keys: false }), (e) => e === Errors.LeaseNotFound);
  } finally {
    peer.close();
  }
});
