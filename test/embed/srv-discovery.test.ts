// --discovery-srv: the initial cluster built from DNS SRV records the way etcd builds it.
// The resolver is a table here; the system resolver is the same interface over node:dns.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { srvInitialCluster, type SrvRecord, type SrvResolver } from '../../src/embed/discovery/srv-discovery.js';
import { resolveBootstrapCluster } from '../../src/embed/discovery/bootstrap-cluster.js';
import { StartError } from '../../src/embed/start-errors.js';

function tableResolver(srv: Record<string, SrvRecord[]>, hosts: Record<string, string>): SrvResolver {
  return {
    resolveSrv: async (name) => {
      const records = srv[name];
      if (!records) throw new Error(`lookup ${name} on 127.0.0.53:53: no such host`);
      return records;
    },
    resolveHostPort: async (host, port) => {
      const ip = hosts[host] ?? (/^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : undefined);
      if (ip === undefined) throw new Error(`lookup ${host}: no such host`);
      return `${ip}:${port}`;
    },
  };
}

const HOSTS = { 'infra0.example.com': '10.0.1.10', 'infra1.example.com': '10.0.1.11', 'infra2.example.com': '10.0.1.12' };
const HTTP_RECORDS = {
  '_etcd-server._tcp.example.com': [
    { name: 'infra0.example.com', port: 2380 },
    { name: 'infra1.example.com', port: 2380 },
    { name: 'infra2.example.com', port: 2380 },
  ],
};

test('the record that resolves to our advertised peer URL takes our name; the others are numbered', async () => {
  const text = await srvInitialCluster(
    { domain: 'example.com', srvName: '', name: 'infra1', advertisePeerUrls: ['http://10.0.1.11:2380'] },
    tableResolver(HTTP_RECORDS, HOSTS),
  );
  assert.equal(text, '0=http://infra0.example.com:2380,infra1=http://infra1.example.com:2380,1=http://infra2.example.com:2380');
});

test('https records come first, from _etcd-server-ssl, and --discovery-srv-name suffixes the service', async () => {
  const text = await srvInitialCluster(
    { domain: 'example.com', srvName: 'prod', name: 'infra0', advertisePeerUrls: ['https://infra0.example.com:2380'] },
    tableResolver(
      {
        '_etcd-server-ssl-prod._tcp.example.com': [
          { name: 'infra0.example.com.', port: 2380 },
          { name: 'infra2.example.com.', port: 2380 },
        ],
      },
      HOSTS,
    ),
  );
  assert.equal(text, 'infra0=https://infra0.example.com:2380,0=https://infra2.example.com:2380');
});

test('no records under either service is etcd\'s "too many errors"', async () => {
  await assert.rejects(
    srvInitialCluster({ domain: 'nowhere.test', srvName: '', name: 'a', advertisePeerUrls: ['http://10.0.0.1:2380'] }, tableResolver({}, {})),
    {
      message:
        'srv: too many errors querying DNS SRV records ("error querying DNS SRV records for _etcd-server-ssl lookup _etcd-server-ssl._tcp.nowhere.test on 127.0.0.53:53: no such host", "error querying DNS SRV records for _etcd-server lookup _etcd-server._tcp.nowhere.test on 127.0.0.53:53: no such host")',
    },
  );
});

test('a member absent from the records cannot start', async () => {
  const cfg = {
    name: 'infra9',
    initialCluster: new Map<string, string[]>(),
    initialClusterToken: 'etcd-cluster',
    initialAdvertisePeerUrls: ['http://10.0.9.9:2380'],
    discovery: '',
    discoverySrv: 'example.com',
    discoverySrvName: '',
  };
  const log = { info: () => undefined, warn: () => undefined };
  await assert.rejects(resolveBootstrapCluster(cfg, log, { resolver: tableResolver(HTTP_RECORDS, HOSTS) }), (err: unknown) => {
    assert.ok(err instanceof StartError);
    assert.equal(err.message, 'cannot find local etcd member "infra9" in SRV records');
    return true;
  });
  const found = await resolveBootstrapCluster({ ...cfg, name: 'infra2', initialAdvertisePeerUrls: ['http://10.0.1.12:2380'] }, log, {
    resolver: tableResolver(HTTP_RECORDS, HOSTS),
  });
  assert.deepEqual([...found.initialCluster.keys()], ['0', '1', 'infra2']);
  assert.equal(found.token, 'etcd-cluster');
});
