import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeStats, formatReport, histogram, percentiles } from '../../src/benchmark/report.js';
import { benchKey, encodePut, encodeRange } from '../../src/benchmark/wire.js';
import { PutRequest, RangeRequest } from '../../src/gen/etcdserverpb/rpc.js';

test('percentiles follow etcd: first sample whose rank i*100/n reaches p', () => {
  const xs = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.deepEqual(percentiles(xs), [101, 251, 501, 751, 901, 951, 991, 1000]);
  assert.deepEqual(percentiles(Float64Array.from([1, 2, 3, 4]), [50]), [3]);
  // etcd settles one percentile per sample: four samples give 10/25/50 and leave 75 unset.
  assert.deepEqual(percentiles(Float64Array.from([1, 2, 3, 4]), [10, 25, 50, 75]), [2, 3, 4, 0]);
});

test('histogram: 11 marks from fastest to slowest, each latency in the first mark at or above it', () => {
  const xs = Float64Array.from([0, 0.1, 0.1, 0.5, 1]);
  const h = histogram(xs, 0, 1);
  assert.equal(h.length, 11);
  assert.deepEqual(h.map((b) => b.count), [1, 2, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  assert.ok(Math.abs(h[5]!.mark - 0.5) < 1e-12);
  assert.equal(h[10]!.mark, 1);
});

test('report prints the summary, histogram, distribution and errors in etcd format', () => {
  const lat = Float64Array.from([0.004, 0.001, 0.002, 0.003]);
  const s = computeStats(lat, 2, new Map([['rpc error: code = Unavailable desc = x', 3]]));
  assert.equal(s.fastest, 0.001);
  assert.equal(s.slowest, 0.004);
  assert.equal(s.average, 0.0025);
  assert.ok(Math.abs(s.stddev - Math.sqrt(0.00000125)) < 1e-12);
  assert.equal(s.rps, 2);
  const out = formatReport(s);
  assert.match(out, /^\nSummary:\n  Total:\t2\.0000 secs\.\n  Slowest:\t0\.0040 secs\.\n  Fastest:\t0\.0010 secs\.\n  Average:\t0\.0025 secs\.\n  Stddev:\t0\.0011 secs\.\n  Requests\/sec:\t2\.0000\n/);
  assert.match(out, /\nResponse time histogram:\n  0\.0010 \[1\]\t\|∎{40}\n/);
  assert.match(out, /\nLatency distribution:\n  10% in 0\.0020 secs\.\n  25% in 0\.0030 secs\.\n  50% in 0\.0040 secs\.\n\n/);
  assert.match(out, /\nError distribution:\n  \[3\]\trpc error: code = Unavailable desc = x\n$/);
  assert.match(formatReport(s, true), /Fastest:\t0\.001 secs\./);
});

test('hand-encoded requests decode as the generated protobuf types', () => {
  const put = PutRequest.decode(encodePut(Buffer.from('k'), Buffer.alloc(300, 7)));
  assert.equal(Buffer.from(put.key).toString(), 'k');
  assert.equal(put.value.length, 300);
  const r = RangeRequest.decode(encodeRange(Buffer.from('a'), { end: Buffer.from('z'), limit: 1000, serializable: true, countOnly: true }));
  assert.equal(Buffer.from(r.rangeEnd).toString(), 'z');
  assert.equal(r.limit, 1000n);
  assert.equal(r.serializable, true);
  assert.equal(r.countOnly, true);
  // Go's binary.PutVarint(zig-zag) into an 8-byte key: 1 -> 0x02, 64 -> 0x80 0x01.
  assert.deepEqual([...benchKey(8, 1)], [2, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...benchKey(8, 64)], [0x80, 1, 0, 0, 0, 0, 0, 0]);
});
