// The mvcc op counters count per ended store transaction, as etcd 3.4 does: ranges, puts
// and deletes add up, a transaction with more than one op is a "txn", and the counts
// (kept in plain numbers) all reach /metrics when it is read, under both of etcd's names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countStoreTxn, metricsRegistry } from '../../src/metrics/registry.js';

async function values(): Promise<Map<string, number>> {
  const text = await metricsRegistry.metrics();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(etcd_(?:debugging_)?mvcc_(?:range|put|delete|txn)_total|etcd_debugging_mvcc_total_put_size_in_bytes) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

function delta(before: Map<string, number>, after: Map<string, number>, name: string): number {
  return (after.get(name) ?? NaN) - (before.get(name) ?? NaN);
}

test('ops add up per transaction; only transactions of more than one op count as txns', async () => {
  const before = await values();
  countStoreTxn(1, 0, 0, 0); // a get
  countStoreTxn(0, 1, 0, 7); // a put of 7 bytes
  countStoreTxn(1, 1, 0, 3); // a put with --prev-kv
  countStoreTxn(0, 0, 1, 0); // a delete
  countStoreTxn(2, 0, 0, 0); // a read-only txn of two ranges
  const after = await values();
  for (const prefix of ['etcd_mvcc', 'etcd_debugging_mvcc']) {
    assert.equal(delta(before, after, `${prefix}_range_total`), 4, prefix);
    assert.equal(delta(before, after, `${prefix}_put_total`), 2, prefix);
    assert.equal(delta(before, after, `${prefix}_delete_total`), 1, prefix);
    assert.equal(delta(before, after, `${prefix}_txn_total`), 2, prefix);
  }
  assert.equal(delta(before, after, 'etcd_debugging_mvcc_total_put_size_in_bytes'), 10);
});

test('a read in between loses nothing and counts nothing twice', async () => {
  const before = await values();
  countStoreTxn(0, 2, 0, 0);
  const mid = await values();
  assert.equal(delta(before, mid, 'etcd_mvcc_put_total'), 2);
  assert.equal(delta(before, await values(), 'etcd_mvcc_put_total'), 2);
  countStoreTxn(0, 1, 0, 0);
  const after = await values();
  assert.equal(delta(before, after, 'etcd_mvcc_put_total'), 3);
  assert.equal(delta(before, after, 'etcd_debugging_mvcc_put_total'), 3);
  assert.equal(delta(before, after, 'etcd_mvcc_txn_total'), 1);
});
