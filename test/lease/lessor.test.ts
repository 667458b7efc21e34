// The lessor with a fake clock: the minimum TTL, expiry decided by the leader only,
// revoke deleting every attached key in one revision, checkpoints carrying the remaining
// TTL across a leader change, and leases surviving a restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/storage/backend.js';
import { KVStore } from '../../src/mvcc/kv-store.js';
import { InternalRaftRequest } from '../../src/gen/etcdserverpb/raft_internal.js';
import { PutRequest, DeleteRangeRequest, type LeaseGrantResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { Lessor, MAX_LEASE_TTL_SEC, minLeaseTtlSec, type Clock } from '../../src/lease/lessor.js';
import { LeaseLoop, REVOKE_RETRY_MS } from '../../src/lease/lease-loop.js';
import { restoreLessor } from '../../src/lease/restore.js';
import { leaseRenewed } from '../../src/metrics/registry.js';
import { applyLeaseRequest } from '../../src/server/lease-apply.js';
import { applyDeleteRange, applyPut } from '../../src/server/kv-apply.js';
import { Errors } from '../../src/server/errors.js';

class FakeClock implements Clock {
  ms = 1_000_000;
  nowMs(): number {
    return this.ms;
  }
  advance(sec: number): void {
    this.ms += sec * 1000;
  }
}

const b = (s: string) => Buffer.from(s);

async function renewedTotal(): Promise<number> {
  const metric = await leaseRenewed.get();
  return metric.values[0]?.value ?? 0;
}
const ELECTION_MS = 1000;

interface Member {
  store: KVStore;
  backend: Backend;
  lessor: Lessor;
}

async function withMember(
  fn: (m: Member, reopen: () => Promise<Member>, clock: FakeClock) => Promise<void>,
  checkpointIntervalMs = 0,
  clock = new FakeClock(),
  persistRemainingTtl = false,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lessor-test-'));
  const open = async (): Promise<Member> => {
    const backend = Backend.open(join(dir, 'db'));
    const store = await KVStore.open(backend);
    const lessor = new Lessor({ backend, minTtlSec: minLeaseTtlSec(ELECTION_MS, 100), clock, checkpointIntervalMs, persistRemainingTtl });
    restoreLessor(lessor, store.read());
    return { store, backend, lessor };
  };
  let m = await open();
  try {
    await fn(m, async () => {
      await m.backend.close();
      m = await open();
      return m;
    }, clock);
  } finally {
    await m.backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Applies a lease entry as the applier does. */
function applyLease(m: Member, body: Partial<InternalRaftRequest>) {
  return applyLeaseRequest(InternalRaftRequest.fromPartial(body), m.lessor, m.store);
}

function grantTtl(m: Member, ID: bigint, TTL: bigint): bigint {
  return (applyLease(m, { leaseGrant: { ID, TTL } }) as LeaseGrantResponse).TTL;
}

function put(m: Member, key: string, lease: bigint, extra: Partial<PutRequest> = {}): void {
  const t = m.store.write();
  try {
    applyPut(t, PutRequest.fromPartial({ key: b(key), value: b('v'), lease, ...extra }), m.lessor);
  } finally {
    t.end();
  }
}

function del(m: Member, key: string): void {
  const t = m.store.write();
  try {
    applyDeleteRange(t, DeleteRangeRequest.fromPartial({ key: b(key) }), m.lessor);
  } finally {
    t.end();
  }
}

function keysOf(m: Member): string[] {
  const t = m.store.read();
  try {
    return t.range(Buffer.from([0]), Buffer.from([0]), {}).kvs.map((kv) => kv.key.toString());
  } finally {
    t.end();
  }
}

test("etcd's minimum TTL is one and a half election timeouts rounded up to whole seconds", () => {
  assert.equal(minLeaseTtlSec(1000, 100), 2); // etcd's defaults: ceil(1.5 s)
  assert.equal(minLeaseTtlSec(5000, 500), 8); // 10 ticks: 15 x 500 ms = 7.5 s
  assert.equal(minLeaseTtlSec(1200, 100), 2); // 12 ticks: 18 x 100 ms = 1.8 s
  assert.equal(minLeaseTtlSec(3000, 100), 5); // 30 ticks: 4.5 s
});

test('grant extends short TTLs to the minimum and refuses duplicates and TTLs above the maximum', async () => {
  await withMember(async (m) => {
    assert.equal(grantTtl(m, 1n, 1n), 2n);
    assert.equal(grantTtl(m, 2n, 0n), 2n);
    assert.equal(grantTtl(m, 3n, 60n), 60n);
    assert.throws(() => applyLease(m, { leaseGrant: { ID: 3n, TTL: 60n } }), (e) => e === Errors.LeaseExist);
    assert.throws(() => applyLease(m, { leaseGrant: { ID: 4n, TTL: BigInt(MAX_LEASE_TTL_SEC + 1) } }), (e) => e === Errors.LeaseTTLTooLarge);
    assert.equal(grantTtl(m, 5n, BigInt(MAX_LEASE_TTL_SEC)), BigInt(MAX_LEASE_TTL_SEC));
  });
});

test('a follower never expires a lease; the leader does, and proposes each revoke once until it applies', async () => {
  await withMember(async (m, _reopen, clock) => {
    applyLease(m, { leaseGrant: { ID: 7n, TTL: 5n } });
    const proposed: bigint[] = [];
    const loop = new LeaseLoop(m.lessor, { revoke: async (id) => void proposed.push(id), checkpoint: async () => undefined });
    clock.advance(3600);
    loop.pass();
    assert.deepEqual(m.lessor.expired(10), []);
    assert.equal(proposed.length, 0, 'a follower proposed a revoke');

    m.lessor.promote(ELECTION_MS);
    clock.advance(5);
    loop.pass();
    assert.equal(proposed.length, 0, 'expired before TTL + election timeout');
    clock.advance(1.5);
    const stuck = new LeaseLoop(m.lessor, { revoke: (id) => {
        proposed.push(id);
        return new Promise<never>(() => undefined);
      }, checkpoint: async () => undefined });
    stuck.pass();
    stuck.pass();
    assert.deepEqual(proposed, [7n], 'a pending revoke was proposed twice');
    clock.ms += REVOKE_RETRY_MS;
    stuck.pass();
    assert.deepEqual(proposed, [7n, 7n], 'a revoke that never applied was not retried');

    m.lessor.demote();
    assert.deepEqual(m.lessor.expired(10), [], 'a demoted lessor still expires leases');
  });
});

test('revoke deletes every attached key in one revision; moved, ignore-lease and deleted keys follow their lease', async () => {
  await withMember(async (m) => {
    applyLease(m, { leaseGrant: { ID: 10n, TTL: 60n } });
    applyLease(m, { leaseGrant: { ID: 11n, TTL: 60n } });
    put(m, 'a', 10n);
    put(m, 'b', 10n);
    put(m, 'c', 10n);
    put(m, 'moved', 10n);
    put(m, 'moved', 11n); // a put with another lease moves the key
    put(m, 'kept', 10n);
    put(m, 'kept', 0n, { ignoreLease: true, value: b('w') }); // --ignore-lease keeps lease 10
    put(m, 'gone', 10n);
    del(m, 'gone');
    put(m, 'gone', 0n); // a new key of the same name is not the lease's
    assert.throws(() => put(m, 'x', 99n), (e) => e === Errors.LeaseNotFound);

    assert.deepEqual(m.lessor.lookup(10n)!.sortedKeys().map(String), ['a', 'b', 'c', 'kept']);
    const before = m.store.rev();
    const resp = applyLease(m, { leaseRevoke: { ID: 10n } })!;
    assert.equal(m.store.rev(), before + 1, 'revoke took more than one revision');
    assert.equal(resp.header!.revision, BigInt(before + 1));
    assert.deepEqual(keysOf(m), ['gone', 'moved']);
    assert.equal(m.lessor.has(10n), false);
    assert.throws(() => applyLease(m, { leaseRevoke: { ID: 10n } }), (e) => e === Errors.LeaseNotFound);
    assert.equal(m.store.rev(), before + 1, 'a failed revoke made a revision');

    // A lease without keys is revoked without a revision.
    applyLease(m, { leaseRevoke: { ID: 11n } });
    assert.equal(m.store.rev(), before + 2);
    applyLease(m, { leaseGrant: { ID: 12n, TTL: 60n } });
    applyLease(m, { leaseRevoke: { ID: 12n } });
    assert.equal(m.store.rev(), before + 2);
  });
});

test('keep-alive renews only on the leader and only a live lease', async () => {
  await withMember(async (m, _reopen, clock) => {
    applyLease(m, { leaseGrant: { ID: 20n, TTL: 10n } });
    assert.throws(() => m.lessor.renew(20n), (e) => e === Errors.NotLeader);
    m.lessor.promote(ELECTION_MS);
    clock.advance(9);
    const renewedBefore = await renewedTotal();
    assert.equal(m.lessor.renew(20n).ttlSec, 10);
    assert.equal(m.lessor.lookup(20n)!.remainingSec(clock.nowMs()), 10);
    assert.equal(m.lessor.renew(20n).ttlSec, 10);
    clock.advance(10.5);
    assert.throws(() => m.lessor.renew(20n), (e) => e === Errors.LeaseNotFound);
    assert.throws(() => m.lessor.renew(21n), (e) => e === Errors.LeaseNotFound);
    // Only the two renewals count, as etcd's etcd_debugging_lease_renewed_total does.
    assert.equal((await renewedTotal()) - renewedBefore, 2);
  });
});

test('a checkpointed remaining TTL survives a leader change; without checkpoints the new leader restarts the TTL', async () => {
  const intervalMs = 60_000;
  await withMember(async (a, _ra, clock) => {
    await withMember(async (b2) => {
      const both = (body: Partial<InternalRaftRequest>) => {
        applyLease(a, body);
        applyLease(b2, body);
      };
      both({ leaseGrant: { ID: 30n, TTL: 600n } });
      both({ leaseGrant: { ID: 31n, TTL: 30n } }); // shorter than the interval: never checkpointed
      a.lessor.promote(ELECTION_MS);
      const loop = new LeaseLoop(a.lessor, {
        revoke: async () => undefined,
        checkpoint: async (checkpoints) => both({ leaseCheckpoint: { checkpoints } }),
      });
      clock.advance(59);
      loop.pass();
      assert.equal(b2.lessor.lookup(30n)!.remainingTtlSec, 0, 'checkpointed before the interval');
      clock.advance(41); // 100 s after promotion: 501 s left (600 + 1 s extension - 100)
      loop.pass();
      await new Promise((r) => setImmediate(r));
      assert.equal(b2.lessor.lookup(30n)!.remainingTtlSec, 501);
      assert.equal(b2.lessor.lookup(31n)!.remainingTtlSec, 0);

      // Leader change: a steps down, b2 promotes with the checkpointed TTL.
      a.lessor.demote();
      b2.lessor.promote(ELECTION_MS);
      assert.equal(b2.lessor.lookup(30n)!.remainingSec(clock.nowMs()), 502);
      assert.equal(b2.lessor.lookup(31n)!.remainingSec(clock.nowMs()), 31);
    }, intervalMs, clock);
  }, intervalMs);
});

test('leases, their TTLs and their keys survive a restart', async () => {
  await withMember(async (m, reopen, clock) => {
    applyLease(m, { leaseGrant: { ID: 40n, TTL: 120n } });
    applyLease(m, { leaseGrant: { ID: 41n, TTL: 1n } });
    applyLease(m, { leaseCheckpoint: { checkpoints: [{ ID: 41n, remainingTTL: 1n }] } });
    put(m, 'k1', 40n);
    put(m, 'k2', 40n);
    put(m, 'k3', 41n);
    del(m, 'k3');
    const m2 = await reopen();
    assert.deepEqual(m2.lessor.list().map((l) => l.id).sort(), [40n, 41n]);
    assert.equal(m2.lessor.lookup(40n)!.ttlSec, 120);
    assert.equal(m2.lessor.lookup(41n)!.ttlSec, 2);
    assert.equal(m2.lessor.lookup(41n)!.remainingTtlSec, 0, 'a checkpoint was persisted without --experimental-enable-lease-checkpoint-persist');
    assert.deepEqual(m2.lessor.lookup(40n)!.sortedKeys().map(String), ['k1', 'k2']);
    assert.deepEqual(m2.lessor.lookup(41n)!.sortedKeys(), []);
    // After the restart the leader counts from its promotion.
    m2.lessor.promote(ELECTION_MS);
    assert.equal(m2.lessor.lookup(40n)!.remainingSec(clock.nowMs()), 121);
    applyLease(m2, { leaseRevoke: { ID: 40n } });
    assert.deepEqual(keysOf(m2), []);
  });
});

test('leases are listed soonest expiry first', async () => {
  await withMember(async (m) => {
    for (const [id, ttl] of [[50n, 300n], [51n, 10n], [52n, 100n], [53n, 100n]] as const) applyLease(m, { leaseGrant: { ID: id, TTL: ttl } });
    m.lessor.promote(0);
    assert.deepEqual(m.lessor.list().map((l) => l.id), [51n, 52n, 53n, 50n]);
  });
});

test('with checkpoint persistence a checkpointed remaining TTL survives a restart', async () => {
  await withMember(
    async (m, reopen, clock) => {
      applyLease(m, { leaseGrant: { ID: 60n, TTL: 600n } });
      applyLease(m, { leaseCheckpoint: { checkpoints: [{ ID: 60n, remainingTTL: 42n }] } });
      const m2 = await reopen();
      assert.equal(m2.lessor.lookup(60n)!.remainingTtlSec, 42);
      m2.lessor.promote(ELECTION_MS);
      assert.equal(m2.lessor.lookup(60n)!.remainingSec(clock.nowMs()), 43);
    },
    60_000,
    new FakeClock(),
    true,
  );
});

test('promotion spreads leases that would all expire in the same second', async () => {
  await withMember(async (m, _reopen, clock) => {
    const count = 2000;
    for (let i = 1; i <= count; i++) m.lessor.grant(BigInt(i), 10);
    m.lessor.promote(ELECTION_MS);
    const expiries = m.lessor.list().map((l) => l.expiryMs - clock.nowMs());
    const perSecond = new Map<number, number>();
    for (const e of expiries) perSecond.set(Math.floor(e / 1000), (perSecond.get(Math.floor(e / 1000)) ?? 0) + 1);
    for (const [sec, n] of perSecond) assert.ok(n <= 750, `${n} leases expire in second ${sec}`);
    assert.equal(Math.min(...expiries), 11_000, 'the first leases were delayed beyond the election extension');
    assert.ok(Math.max(...expiries) <= 11_000 + (1000 * count) / 750 + 1, 'leases pushed further than needed');
  });
});
