// A three-member restore: every member restored from the same snapshot with the same
// --initial-cluster and token must agree on the cluster id, and the ids must be the
// ones Debian's etcdctl computes for the same flags (its restore logs them, and writes
// them in its WAL's metadata). Restores that refuse must say what Debian's says.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, removeDir, startMember, stopMember, tempDir } from '../helpers/processes.js';
import { etcdutl, logLines, normalizeSnapshotLog, walIds } from './helpers.js';

const CLUSTER = 'etcd-1=http://10.70.68.122:2380,etcd-2=http://10.70.67.149:2380,etcd-3=http://10.70.67.150:2380';
const TOKEN = 'etcd-cluster-token';
const PEERS: Record<string, string> = {
  'etcd-1': 'http://10.70.68.122:2380',
  'etcd-2': 'http://10.70.67.149:2380',
  'etcd-3': 'http://10.70.67.150:2380',
};

function restoreArgs(file: string, name: string, dataDir: string): string[] {
  return ['snapshot', 'restore', file, '--name', name, '--initial-cluster', CLUSTER, '--initial-cluster-token', TOKEN, '--initial-advertise-peer-urls', PEERS[name]!, '--data-dir', dataDir];
}

/** etcd's WAL metadata is an etcdserverpb.Metadata: NodeID (field 1), ClusterID (field 2), varints. */
function realWalMetadata(walFile: Buffer): { memberId: string; clusterId: string } {
  // The first records are the crc record and then the metadata record (type 1), each
  // an 8-byte length and a walpb.Record {type=1, crc=2, data=3}.
  let off = 0;
  for (;;) {
    const len = Number(walFile.readBigUInt64LE(off) & 0xffffffffffffffn);
    const rec = walFile.subarray(off + 8, off + 8 + len);
    off += 8 + len + ((8 - (len % 8)) % 8);
    const fields = readProto(rec);
    if (fields.get(1) === 1n) {
      const md = readProto(fields.get(3) as Buffer);
      return { memberId: (md.get(1) as bigint).toString(16), clusterId: (md.get(2) as bigint).toString(16) };
    }
  }
}

function readProto(b: Buffer): Map<number, bigint | Buffer> {
  const out = new Map<number, bigint | Buffer>();
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const byte = b[i++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const wire = key & 7;
    if (wire === 0) out.set(key >> 3, varint());
    else if (wire === 2) {
      const n = Number(varint());
      out.set(key >> 3, b.subarray(i, i + n));
      i += n;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

test('three members restored from one snapshot agree on ids, and match what Debian’s etcdctl computes', async (t) => {
  const dir = tempDir('etcd-restore-ids-');
  const ours = await startMember('ours');
  const real = await startMember('real');
  t.after(async () => {
    await stopMember(ours);
    await stopMember(real);
    removeDir(dir);
    removeDir(ours.dataDir);
    removeDir(real.dataDir);
  });
  for (const m of [ours, real]) assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'put', 'k', 'v']).status, 0);
  const ourFile = join(dir, 'ours.db');
  const realFile = join(dir, 'real.db');
  assert.equal(etcdctl('ours', ['--endpoints', ours.endpoint, 'snapshot', 'save', ourFile]).status, 0);
  assert.equal(etcdctl('real', ['--endpoints', real.endpoint, 'snapshot', 'save', realFile]).status, 0);

  const expected = new Map<string, string>();
  let expectedCluster = '';
  for (const name of Object.keys(PEERS)) {
    const r = etcdctl('real', restoreArgs(realFile, name, join(dir, `real-${name}`)));
    assert.equal(r.status, 0, r.stderr);
    const added = logLines(r.stderr).filter((l) => l.msg === 'added member');
    assert.equal(added.length, 3);
    expectedCluster = added[0]!['cluster-id'] as string;
    const wal = readFileSync(join(dir, `real-${name}`, 'member', 'wal', '0000000000000000-0000000000000000.wal'));
    const md = realWalMetadata(wal);
    assert.equal(md.clusterId, expectedCluster);
    expected.set(name, md.memberId);
  }

  for (const [i, name] of Object.keys(PEERS).entries()) {
    // Both our tools restore; each must produce the same ids.
    const r = i === 1 ? etcdctl('ours', restoreArgs(ourFile, name, join(dir, `ours-${name}`))) : etcdutl(restoreArgs(ourFile, name, join(dir, `ours-${name}`)));
    assert.equal(r.status, 0, r.stderr);
    const ids = await walIds(join(dir, `ours-${name}`, 'member', 'wal'));
    assert.deepEqual(ids, { memberId: expected.get(name), clusterId: expectedCluster }, name);
  }

  await t.test('restore refusals say what Debian’s etcdctl says', () => {
    const bytes = readFileSync(realFile);
    const damaged = join(dir, 'damaged.db');
    const copy = Buffer.from(bytes);
    copy[100] ^= 0xff;
    writeFileSync(damaged, copy);
    const bare = join(dir, 'bare.db');
    writeFileSync(bare, bytes.subarray(0, bytes.length - 32));
    // A refused restore may leave its data dir behind (etcd's does too): each tool gets its own.
    const cases = (tool: string): string[][] => [
      ['snapshot', 'restore', damaged, '--data-dir', join(dir, tool, 'x1')],
      ['snapshot', 'restore', bare, '--data-dir', join(dir, tool, 'x2')],
      ['snapshot', 'restore', join(dir, 'missing.db'), '--data-dir', join(dir, tool, 'x3')],
      ['snapshot', 'restore', realFile, '--name', 'nobody', '--data-dir', join(dir, tool, 'x4')],
      ['snapshot', 'restore', realFile, '--data-dir', join(dir, 'real-etcd-1')],
      ['snapshot', 'restore'],
      ['snapshot', 'status'],
      ['snapshot', 'status', join(dir, 'missing.db')],
      ['-w', 'protobuf', 'snapshot', 'status', realFile],
    ];
    const ourCases = cases('ours');
    const realCases = cases('real');
    const dirs: [string, string][] = [[join(dir, 'ours'), '<dir>'], [join(dir, 'real'), '<dir>']];
    for (const [i, args] of ourCases.entries()) {
      const o = etcdctl('ours', args);
      const r = etcdctl('real', realCases[i]!);
      assert.equal(o.status, r.status, args.join(' '));
      assert.equal(o.stdout, r.stdout, args.join(' '));
      assert.equal(normalizeSnapshotLog(o.stderr, dirs), normalizeSnapshotLog(r.stderr, dirs), args.join(' '));
    }
  });
});
