// /metrics leaves out a family until it has a series, as etcd's exposition does: per-peer
// and per-snapshot families of a lone member are absent, not empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withoutEmptyFamilies } from '../../src/metrics/server-metrics.js';

test('families without series are dropped; the others keep their HELP, TYPE and samples', () => {
  const text = [
    '# HELP a_total A.',
    '# TYPE a_total counter',
    'a_total 3',
    '# HELP peer_bytes_total Per peer.',
    '# TYPE peer_bytes_total counter',
    '# HELP h_seconds H.',
    '# TYPE h_seconds histogram',
    'h_seconds_bucket{le="+Inf"} 0',
    'h_seconds_count 0',
    '',
  ].join('\n');
  assert.equal(
    withoutEmptyFamilies(text),
    ['# HELP a_total A.', '# TYPE a_total counter', 'a_total 3', '# HELP h_seconds H.', '# TYPE h_seconds histogram', 'h_seconds_bucket{le="+Inf"} 0', 'h_seconds_count 0', ''].join('\n'),
  );
  assert.equal(withoutEmptyFamilies('# HELP x X.\n# TYPE x gauge\n'), '');
});
