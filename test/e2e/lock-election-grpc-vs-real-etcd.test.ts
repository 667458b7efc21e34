// v3lock and v3election over gRPC (the project's client): the same script of calls against
// real etcd 3.4.23 and etcd-ts must give the same answers: revisions, keys (lease ids
// masked), gRPC codes and messages. Also: two lockers serialize, and Observe streams each
// leader value in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ClientError } from '../../src/client/client.js';
import type { LeaderResponse } from '../../src/gen/v3electionpb/v3election.js';
import { removeDir, startMember, stopMember } from '../helpers/processes.js';

const b = (s: string) => Buffer.from(s);

/** A response as comparable text: header reduced to its revision, lease ids masked. */
function show(r: unknown, leases: bigint[]): string {
  const text = JSON.stringify(r, (k, v: unknown) => {
    if (k === 'header' && v && typeof v === 'object') return { revision: (v as { revision: bigint }).revision.toString() };
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array || (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer')) return Buffer.from(v as Uint8Array).toString();
    return v;
  });
  let masked = text;
  leases.forEach((id, i) => {
    masked = masked.replaceAll(id.toString(16), `<lease${i}hex>`).replaceAll(id.toString(), `<lease${i}>`);
  });
  return masked;
}

async function outcome(fn: () => Promise<unknown>, leases: bigint[]): Promise<string> {
  try {
    return `ok ${show(await fn(), leases)}`;
  } catch (e) {
    if (e instanceof ClientError) return `code ${e.code}: ${e.message}`;
    throw e;
  }
}

async function until(what: string, cond: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function script(kind: 'ours' | 'real'): Promise<string[]> {
  const m = await startMember(kind);
  const c = new Client({ endpoints: [m.endpoint] });
  const leases: bigint[] = [];
  const out: string[] = [];
  const note = async (label: string, fn: () => Promise<unknown>) => out.push(`${label}: ${await outcome(fn, leases)}`);
  try {
    const wait = { timeoutMs: 0 };
    for (let i = 0; i < 3; i++) leases.push((await c.leaseGrant(60)).ID);
    await note('lock unknown lease', () => c.lock(b('L'), 0x1234n));
    await note('lock', () => c.lock(b('L'), leases[0]!));
    await note('lock again same lease', () => c.lock(b('L'), leases[0]!));
    await note('unlock empty', () => c.unlock(b('')));

    // A second locker waits behind the first until it unlocks.
    let settled = false;
    const second = c.lock(b('L'), leases[1]!, wait).finally(() => (settled = true));
    await until('the second locker to queue', async () => (await c.range({ key: b('L/'), rangeEnd: b('L0') })).kvs.length === 2);
    assert.equal(settled, false, 'the second locker must wait while the first holds the lock');
    // A third locker that gives up (its deadline passes) withdraws from the queue.
    // Client and server time the same deadline; whichever fires first answers: the server's
    // context error (Unknown) or the client's own (DeadlineExceeded). On a loaded machine
    // either side can win, against real etcd too, so only the text is compared.
    const gaveUp = await outcome(() => c.lock(b('L'), leases[2]!, { timeoutMs: 300 }), leases);
    assert.match(gaveUp, /^code (2|4): context deadline exceeded$/);
    out.push('lock gives up: context deadline exceeded');
    await until('the quitter to withdraw', async () => (await c.range({ key: b('L/'), rangeEnd: b('L0') })).kvs.length === 2);
    await note('unlock first', () => c.unlock(b(`L/${leases[0]!.toString(16)}`)));
    await note('second gets the lock', () => second);
    await note('unlock second', () => c.unlock(b(`L/${leases[1]!.toString(16)}`)));

    await note('leader none', () => c.leader(b('E')));
    await note('campaign unknown lease', () => c.campaign({ name: b('E'), lease: 0x1234n, value: b('v') }));
    let won: Awaited<ReturnType<Client['campaign']>> | undefined;
    await note('campaign', async () => (won = await c.campaign({ name: b('E'), lease: leases[0]!, value: b('one') })));
    await note('leader', () => c.leader(b('E')));
    const observed: LeaderResponse[] = [];
    const stream = c.observe(b('E'), wait);
    const reading = (async () => {
      for await (const r of stream) {
        observed.push(r);
        if (observed.length === 3) break;
      }
    })();
    // Ends with the client when the script fails part way.
    reading.catch(() => undefined);
    await until('observe to report the leader', () => observed.length === 1);
    assert.ok(won?.leader);
    const me = won.leader;
    await note('proclaim', () => c.proclaim({ leader: me, value: b('two') }));
    await until('observe to report the proclamation', () => observed.length === 2);
    await note('proclaim wrong rev', () => c.proclaim({ leader: { ...me, rev: me.rev - 1n }, value: b('x') }));
    await note('proclaim no leader field', () => c.proclaim({ value: b('x') }));
    await note('resign no leader field', () => c.resign({}));
    let candidate = false;
    const next = c.campaign({ name: b('E'), lease: leases[2]!, value: b('three') }, wait).finally(() => (candidate = true));
    await until('the next candidate to queue', async () => (await c.range({ key: b('E/'), rangeEnd: b('E0') })).kvs.length === 2);
    assert.equal(candidate, false, 'a candidate must wait while another leads');
    await note('resign', () => c.resign({ leader: me }));
    await note('next leads', () => next);
    await reading;
    out.push(`observed: ${show(observed.map((r) => r.kv), leases)}`);
    await note('resign again (gone)', () => c.resign({ leader: me }));
    await note('leader now', () => c.leader(b('E')));
    return out;
  } finally {
    c.close();
    await stopMember(m);
    removeDir(m.dataDir.replace(/\/data$/, ''));
  }
}

test('lock and election calls answer as real etcd does', async () => {
  const real = await script('real');
  const ours = await script('ours');
  assert.match(real.find((l) => l.startsWith('leader none'))!, /code 2: election: no leader$/);
  assert.deepEqual(ours, real);
});
