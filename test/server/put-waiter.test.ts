// A put answered through a callback (PutWaiter): the response gets the member's header, an
// error from apply passes through, and a failed proposal is counted as etcd counts it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PutWaiter } from '../../src/server/put-waiter.js';
import { Errors } from '../../src/server/errors.js';
import * as metrics from '../../src/metrics/registry.js';
import type { PutResponse } from '../../src/gen/etcdserverpb/rpc.js';
import type { InternalRaftRequest } from '../../src/gen/etcdserverpb/raft_internal.js';

/** The proposal a waiter carries for the applier (not looked at here). */
const DATA = new Uint8Array(0);
const REQ = { ID: 0n } as InternalRaftRequest;

const withHeader = (resp: PutResponse): PutResponse => ({ ...resp, header: { clusterId: 1n, memberId: 2n, revision: resp.header?.revision ?? 0n, raftTerm: 3n } });

async function failedProposals(): Promise<number> {
  return (await metrics.proposalsFailed.get()).values[0]?.value ?? 0;
}

test('an applied put answers once with the header put on', async () => {
  const calls: [Error | undefined, PutResponse | undefined][] = [];
  const w = new PutWaiter(withHeader, (err, res) => calls.push([err, res]), DATA, REQ);
  const before = await failedProposals();
  w.resolve({ resp: { header: { clusterId: 0n, memberId: 0n, revision: 9n, raftTerm: 0n }, prevKv: undefined } });
  assert.deepEqual(calls, [[undefined, { header: { clusterId: 1n, memberId: 2n, revision: 9n, raftTerm: 3n }, prevKv: undefined }]]);
  assert.equal(await failedProposals(), before, 'an applied put is no failed proposal');
});

test("apply's refusal is the answer; a failed proposal is counted", async () => {
  const errs: (Error | undefined)[] = [];
  const refused = new PutWaiter(withHeader, (err) => errs.push(err), DATA, REQ);
  const before = await failedProposals();
  refused.resolve({ err: Errors.LeaseNotFound });
  assert.equal(await failedProposals(), before);
  const lost = new PutWaiter(withHeader, (err) => errs.push(err), DATA, REQ);
  lost.reject(Errors.Timeout);
  assert.deepEqual(errs, [Errors.LeaseNotFound, Errors.Timeout]);
  assert.equal(await failedProposals(), before + 1);
});
