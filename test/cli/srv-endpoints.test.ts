// etcdctl --discovery-srv: endpoints from _etcd-client(-ssl)._tcp SRV records.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { srvClientEndpoints, type SrvLookup } from '../../src/cli/etcdctl/srv-endpoints.js';

const notFound = (name: string) => Object.assign(new Error(`querySrv ENOTFOUND ${name}`), { code: 'ENOTFOUND' });

function table(records: Record<string, { name: string; port: number }[]>): SrvLookup {
  return async (name) => {
    const r = records[name];
    if (!r) throw notFound(name);
    return r;
  };
}

test('https records first, then http, with the service-name suffix', async () => {
  const lookup = table({
    '_etcd-client-ssl-prod._tcp.example.com': [{ name: 'infra0.example.com.', port: 2379 }],
    '_etcd-client-prod._tcp.example.com': [{ name: 'infra1.example.com', port: 12379 }],
  });
  const warnings: string[] = [];
  assert.deepEqual(await srvClientEndpoints('example.com', 'prod', true, (l) => warnings.push(l), lookup), [
    'https://infra0.example.com:2379',
    'http://infra1.example.com:12379',
  ]);
  assert.deepEqual(warnings, []);
});

test('--insecure-discovery=false drops http endpoints with etcdctl\'s notice', async () => {
  const lookup = table({
    '_etcd-client-ssl._tcp.example.com': [{ name: 'a.example.com', port: 2379 }],
    '_etcd-client._tcp.example.com': [{ name: 'b.example.com', port: 2379 }],
  });
  const warnings: string[] = [];
  assert.deepEqual(await srvClientEndpoints('example.com', '', false, (l) => warnings.push(l), lookup), ['https://a.example.com:2379']);
  assert.deepEqual(warnings, ['ignoring discovered insecure endpoint "http://b.example.com:2379"']);
});

test('both lookups failing is one error naming both, in Go\'s resolver words', async () => {
  await assert.rejects(srvClientEndpoints('example.invalid', '', true, () => undefined, table({})), (err: Error) => {
    assert.match(
      err.message,
      /^dns lookup errors: lookup _etcd-client-ssl\._tcp\.example\.invalid on \S+:53: no such host and lookup _etcd-client\._tcp\.example\.invalid on \S+:53: no such host$/,
    );
    return true;
  });
});
