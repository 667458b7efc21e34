// The lease paths of the JSON gateway (and etcd's /v3/kv/lease/* aliases) answer the
// same status, content type and body on etcd-ts as on real etcd. Leases get fixed ids so
// bodies compare byte for byte; a generated id is checked for its shape only. The
// remaining TTL of a time-to-live is compared as "within a few seconds of the TTL".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, removeDir, startMember, stopMember, tempDir } from '../helpers/processes.js';

interface Call {
  path: string;
  body?: string;
  /** The body carries a remaining TTL that depends on timing. */
  ttl?: boolean;
  /** The body carries a generated lease id. */
  generated?: boolean;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

const CALLS: Call[] = [
  { path: '/v3/lease/grant', body: '{"TTL":60,"ID":1000}' },
  { path: '/v3/lease/grant', body: '{"TTL":"90","ID":"1001"}' },
  { path: '/v3/lease/grant', body: '{"TTL":60,"ID":1000}' },
  { path: '/v3/lease/grant', body: '{"TTL":9000000001}' },
  { path: '/v3/lease/grant', body: '{"TTL":1,"ID":1002}' },
  { path: '/v3/lease/grant', body: '{"TTL":30}', generated: true },
  { path: '/v3/kv/put', body: JSON.stringify({ key: b64('a'), value: b64('1'), lease: '1000' }) },
  { path: '/v3/kv/put', body: JSON.stringify({ key: b64('b'), value: b64('2'), lease: 1000 }) },
  { path: '/v3/kv/put', body: JSON.stringify({ key: b64('c'), value: b64('3'), lease: '77' }) },
  { path: '/v3/lease/keepalive', body: '{"ID":1000}' },
  { path: '/v3/lease/keepalive', body: '{"ID":77}' },
  { path: '/v3/lease/keepalive', body: '{"ID":1000}{"ID":77}{"ID":"1001"}' },
  { path: '/v3/lease/keepalive', body: '{}' },
  { path: '/v3/lease/keepalive', body: '' },
  { path: '/v3/lease/timetolive', body: '{"ID":1000,"keys":true}', ttl: true },
  { path: '/v3/kv/lease/timetolive', body: '{"ID":1001,"keys":true}', ttl: true },
  { path: '/v3/lease/timetolive', body: '{"ID":77}' },
  { path: '/v3/kv/lease/timetolive', body: '{"ID":77,"keys":true}' },
  { path: '/v3/lease/revoke', body: '{"ID":1002}' },
  { path: '/v3/lease/revoke', body: '{"ID":77}' },
  { path: '/v3/kv/lease/revoke', body: '{"ID":"1000"}' },
  { path: '/v3/kv/range', body: JSON.stringify({ key: b64('a'), range_end: b64('z') }) },
  { path: '/v3/kv/lease/revoke', body: '{"ID":1000}' },
];

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

/** Masks what depends on timing or on the member's clock. */
function comparable(c: Call, a: Answer): Answer {
  let body = a.body;
  if (c.ttl) {
    const m = /"TTL":"(\d+)","grantedTTL":"(\d+)"/.exec(body);
    assert.ok(m, `no TTL in ${body}`);
    assert.ok(Number(m[2]) - Number(m[1]) <= 5, `remaining ${m[1]} of ${m[2]}`);
    body = body.replace(/"TTL":"\d+"/, '"TTL":"<n>"');
  }
  if (c.generated) body = body.replace(/"ID":"\d+"/, '"ID":"<generated>"');
  // etcd lists a lease's keys in Go map order, which differs from run to run.
  body = body.replace(/"keys":\[([^\]]*)\]/, (_, list: string) => `"keys":[${list.split(',').sort().join(',')}]`);
  return { ...a, body };
}

async function session(kind: 'ours' | 'real', clientPort: number, peerPort: number): Promise<Answer[]> {
  const root = tempDir(`gateway-lease-${kind}-`);
  const m = await startMember(kind, { clientPort, peerPort, dataDir: `${root}/data` });
  try {
    const out: Answer[] = [];
    for (const c of CALLS) {
      const res = await fetch(`${m.clientUrl}${c.path}`, { method: 'POST', body: c.body });
      out.push(comparable(c, { status: res.status, type: res.headers.get('content-type'), body: await res.text() }));
    }
    return out;
  } finally {
    await stopMember(m);
    removeDir(root);
  }
}

test('JSON gateway lease answers match real etcd byte for byte', async () => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const real = await session('real', clientPort, peerPort);
  const ours = await session('ours', clientPort, peerPort);
  for (let i = 0; i < CALLS.length; i++) {
    assert.deepEqual(ours[i], real[i], `POST ${CALLS[i]!.path} ${CALLS[i]!.body ?? ''}`);
  }
});
