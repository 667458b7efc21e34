// --metrics=extensive adds grpc_server_handling_seconds (etcd-ts once parsed the flag and
// ignored it). Compared with real etcd after one put: a series for every method that has
// a grpc_server_started_total series (from the start, at zero; which methods those are
// differs between etcd 3.4 and 3.5's services, so each server is held to its own list),
// the same help text, and the put counted once. Under the default --metrics=basic neither
// server exports the histogram.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, withMember } from '../helpers/processes.js';

const NAME = 'grpc_server_handling_seconds';

/** `name{labels}` with the labels sorted, so the two servers' label orders compare. */
function canonical(line: string): { key: string; value: string } {
  const m = /^([^{ ]+)(?:\{([^}]*)\})? (\S+)/.exec(line)!;
  const labels = (m[2] ?? '').split(',').filter((l) => l !== '').sort().join(',');
  return { key: `${m[1]}{${labels}}`, value: m[3]! };
}

interface Seen {
  help: string | undefined;
  /** Whether the histogram has exactly the methods grpc_server_started_total has. */
  everyMethod: boolean;
  putCount: string | undefined;
}

async function observe(kind: 'ours' | 'real', flags: string[]): Promise<Seen> {
  return withMember(kind, { extraArgs: flags }, async (m) => {
    const put = etcdctl('real', [`--endpoints=${m.endpoint}`, 'put', 'k', 'v']);
    assert.equal(put.status, 0, put.stderr);
    const text = await (await fetch(`${m.clientUrl}/metrics`)).text();
    const lines = text.split('\n');
    const counts = lines.filter((l) => l.startsWith(`${NAME}_count`)).map(canonical);
    const methods = (name: string) => lines.filter((l) => l.startsWith(`${name}{`)).map((l) => canonical(l).key.slice(name.length)).sort();
    return {
      help: lines.find((l) => l.startsWith(`# HELP ${NAME} `)),
      everyMethod: counts.length > 0 && JSON.stringify(methods(`${NAME}_count`)) === JSON.stringify(methods('grpc_server_started_total')),
      putCount: counts.find((c) => c.key.includes('grpc_method="Put"'))?.value,
    };
  });
}

test('--metrics=extensive exports grpc_server_handling_seconds as real etcd does', async () => {
  const real = await observe('real', ['--metrics=extensive']);
  const ours = await observe('ours', ['--metrics=extensive']);
  assert.equal(real.putCount, '1');
  assert.deepEqual(ours, real);
});

test('without --metrics=extensive neither server exports the histogram', async () => {
  const real = await observe('real', []);
  const ours = await observe('ours', []);
  assert.deepEqual(real, { help: undefined, everyMethod: false, putCount: undefined });
  assert.deepEqual(ours, real);
});
