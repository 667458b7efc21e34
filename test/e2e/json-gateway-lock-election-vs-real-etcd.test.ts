// The JSON gateway's /v3/lock/* and /v3/election/* (streamed observe included): the same
// requests to real etcd 3.4.23 and etcd-ts must get the same HTTP status, content type
// and body, with cluster/member ids and lease ids masked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Masks what differs between two clusters: ids, lease ids, and lease hex inside keys. */
function normalize(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x, k)]));
  if (key === 'cluster_id' || key === 'member_id') return '<id>';
  if (key === 'lease') return '<lease>';
  if (key === 'key' && typeof v === 'string') return Buffer.from(v, 'base64').toString().replace(/\/[0-9a-f]+$/, '/<lease>');
  return v;
}

async function post(m: Member, path: string, body: unknown): Promise<{ text: string; json: Record<string, unknown> }> {
  const res = await fetch(`${m.clientUrl}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const raw = await res.text();
  const json = JSON.parse(raw) as Record<string, unknown>;
  return { json, text: `${res.status} ${res.headers.get('content-type')} ${JSON.stringify(normalize(json))}` };
}

/** Opens /v3/election/observe and hands out its lines as they arrive. */
async function observe(m: Member, name: string, signal: AbortSignal): Promise<{ head: string; next: () => Promise<string> }> {
  const res = await fetch(`${m.clientUrl}/v3/election/observe`, { method: 'POST', body: JSON.stringify({ name: b64(name) }), signal });
  const reader = res.body!.getReader();
  let buffered = '';
  const next = async (): Promise<string> => {
    for (;;) {
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return JSON.stringify(normalize(JSON.parse(line)));
      }
      const { value, done } = await reader.read();
      if (done) return '<end>';
      buffered += Buffer.from(value).toString();
    }
  };
  return { head: `${res.status} ${res.headers.get('content-type')}`, next };
}

async function script(kind: 'ours' | 'real'): Promise<string[]> {
  const m = await startMember(kind);
  const out: string[] = [];
  const stop = new AbortController();
  try {
    const note = async (label: string, path: string, body: unknown) => {
      const r = await post(m, path, body);
      out.push(`${label}: ${r.text}`);
      return r.json;
    };
    const lk = await note('lock', '/v3/lock/lock', { name: b64('lk') });
    await note('lock unknown lease', '/v3/lock/lock', { name: b64('lk'), lease: '12345' });
    await note('lock empty body', '/v3/lock/lock', {});
    await note('unlock empty', '/v3/lock/unlock', {});
    await note('unlock', '/v3/lock/unlock', { key: lk.key });
    await note('leader none', '/v3/election/leader', { name: b64('el') });
    await note('campaign unknown lease', '/v3/election/campaign', { name: b64('el'), lease: '999', value: b64('v') });
    // Nothing, not even the response headers, arrives until somebody leads.
    const opening = observe(m, 'el', stop.signal);
    const won = await note('campaign', '/v3/election/campaign', { name: b64('el'), value: b64('v1') });
    const watching = await opening;
    out.push(`observe: ${watching.head}`);
    out.push(`observed: ${await watching.next()}`);
    await note('leader', '/v3/election/leader', { name: b64('el') });
    await note('proclaim', '/v3/election/proclaim', { leader: won.leader, value: b64('v2') });
    out.push(`observed: ${await watching.next()}`);
    const stale = { ...(won.leader as Record<string, unknown>), rev: '1' };
    await note('proclaim not leader', '/v3/election/proclaim', { leader: stale, value: b64('x') });
    await note('proclaim no leader field', '/v3/election/proclaim', { value: b64('x') });
    await note('resign no leader field', '/v3/election/resign', {});
    await note('resign stale', '/v3/election/resign', { leader: stale });
    await note('resign', '/v3/election/resign', { leader: won.leader });
    await note('leader after resign', '/v3/election/leader', { name: b64('el') });
    return out;
  } finally {
    stop.abort();
    await stopMember(m);
    removeDir(m.dataDir.replace(/\/data$/, ''));
  }
}

test('lock and election gateway routes answer as real etcd does', async () => {
  const real = await script('real');
  const ours = await script('ours');
  assert.match(real.find((l) => l.startsWith('leader none'))!, /^leader none: 500 application\/json .*"election: no leader"/);
  assert.deepEqual(ours, real);
});
