// version, endpoint health, endpoint status and member list, printed as etcdctl prints them.

import { MemberListResponse, StatusResponse } from '../../gen/etcdserverpb/rpc.js';
import { Client, ClientError } from '../../client/client.js';
import { goJson, goJsonValue } from './go-json.js';
import { goDuration, humanizeBytes } from './format.js';
import { fieldsHeader, type Output, type PrintOptions } from './printers.js';
import { renderTable } from './table.js';

export const ETCDCTL_VERSION = '3.5.17';
export const API_VERSION = '3.5';

export function printVersion(out: Output): void {
  out.line(`etcdctl version: ${ETCDCTL_VERSION}`);
  out.line(`API version: ${API_VERSION}`);
}

interface Health {
  endpoint: string;
  health: boolean;
  tookNs: number;
  error?: string;
}

async function checkHealth(client: Client, ep: string): Promise<Health> {
  const c = client.forEndpoint(ep);
  const started = process.hrtime.bigint();
  try {
    await c.range({ key: Buffer.from('health') });
    const tookNs = Number(process.hrtime.bigint() - started);
    try {
      const alarms = await c.alarmList();
      if (alarms.alarms.length > 0) {
        const names = alarms.alarms.map((a) => `memberID:${a.memberID} alarm:${['NONE', 'NOSPACE', 'CORRUPT'][a.alarm] ?? a.alarm} `);
        return { endpoint: ep, health: false, tookNs, error: `Active Alarm(s): ${names.join('')}` };
      }
    } catch {
      return { endpoint: ep, health: false, tookNs, error: 'Unable to fetch the alarm list' };
    }
    return { endpoint: ep, health: true, tookNs };
  } catch (err) {
    const tookNs = Number(process.hrtime.bigint() - started);
    return { endpoint: ep, health: false, tookNs, error: err instanceof ClientError ? err.message : String(err) };
  } finally {
    c.close();
  }
}

/** Returns false when any endpoint is unhealthy. Errors go to `err`, as etcdctl writes them to stderr. */
export async function endpointHealth(client: Client, endpoints: string[], out: Output, errOut: Output, o: PrintOptions): Promise<boolean> {
  const results = await Promise.all(endpoints.map((ep) => checkHealth(client, ep)));
  if (o.format === 'json') {
    out.line(goJsonValue(results.map((h) => ({ endpoint: h.endpoint, health: h.health, took: goDuration(h.tookNs), ...(h.error ? { error: h.error } : {}) }))));
  } else if (o.format === 'table') {
    out.raw(renderTable(['endpoint', 'health', 'took', 'error'], results.map((h) => [h.endpoint, String(h.health), goDuration(h.tookNs), h.error ?? ''])));
  } else {
    // etcdctl 3.4 writes the simple health lines, healthy or not, to stderr.
    for (const h of results) {
      if (h.health) errOut.line(`${h.endpoint} is healthy: successfully committed proposal: took = ${goDuration(h.tookNs)}`);
      else errOut.line(`${h.endpoint} is unhealthy: failed to commit proposal: ${h.error}`);
    }
  }
  return results.every((h) => h.health);
}

export async function endpointStatus(client: Client, endpoints: string[], out: Output, errOut: Output, o: PrintOptions): Promise<boolean> {
  const statuses: { ep: string; s: StatusResponse }[] = [];
  let ok = true;
  for (const ep of endpoints) {
    const c = client.forEndpoint(ep);
    try {
      statuses.push({ ep, s: await c.status() });
    } catch (err) {
      ok = false;
      errOut.line(`Failed to get the status of endpoint ${ep} (${err instanceof Error ? err.message : String(err)})`);
    } finally {
      c.close();
    }
  }
  const row = ({ ep, s }: { ep: string; s: StatusResponse }): string[] => [
    ep,
    (s.header?.memberId ?? 0n).toString(16),
    s.version,
    humanizeBytes(Number(s.dbSize)),
    String(s.leader === s.header?.memberId),
    String(s.isLearner),
    String(s.raftTerm),
    String(s.raftIndex),
    String(s.raftAppliedIndex),
    s.errors.join(', '),
  ];
  if (o.format === 'json') {
    out.line(`[${statuses.map(({ ep, s }) => `{"Endpoint":${JSON.stringify(ep)},"Status":${goJson(StatusResponse, s)}}`).join(',')}]`);
  } else if (o.format === 'table') {
    out.raw(renderTable(['endpoint', 'ID', 'version', 'db size', 'is leader', 'is learner', 'raft term', 'raft index', 'raft applied index', 'errors'], statuses.map(row)));
  } else if (o.format === 'fields') {
    for (const { ep, s } of statuses) {
      fieldsHeader(out, s.header);
      out.line(`"Version" : ${JSON.stringify(s.version)}`);
      out.line(`"DBSize" : ${s.dbSize}`);
      out.line(`"Leader" : ${s.leader}`);
      out.line(`"IsLearner" : ${s.isLearner}`);
      out.line(`"RaftIndex" : ${s.raftIndex}`);
      out.line(`"RaftTerm" : ${s.raftTerm}`);
      out.line(`"RaftAppliedIndex" : ${s.raftAppliedIndex}`);
      out.line(`"Errors" : [${s.errors.join(' ')}]`);
      out.line(`"Endpoint" : ${JSON.stringify(ep)}`);
      out.line();
    }
  } else {
    for (const st of statuses) out.line(row(st).join(', '));
  }
  return ok;
}

export function printMemberList(r: MemberListResponse, out: Output, o: PrintOptions): void {
  const row = (m: MemberListResponse['members'][number]): string[] => [
    m.ID.toString(16),
    m.name === '' ? 'unstarted' : 'started',
    m.name,
    m.peerURLs.join(','),
    m.clientURLs.join(','),
    String(m.isLearner),
  ];
  if (o.format === 'json') {
    out.line(goJson(MemberListResponse, r));
  } else if (o.format === 'table') {
    out.raw(renderTable(['ID', 'status', 'name', 'peer addrs', 'client addrs', 'is learner'], r.members.map(row)));
  } else if (o.format === 'fields') {
    fieldsHeader(out, r.header);
    for (const m of r.members) {
      out.line(`"ID" : ${m.ID}`);
      out.line(`"Name" : ${JSON.stringify(m.name)}`);
      for (const u of m.peerURLs) out.line(`"PeerURL" : ${JSON.stringify(u)}`);
      for (const u of m.clientURLs) out.line(`"ClientURL" : ${JSON.stringify(u)}`);
      out.line(`"IsLearner" : ${m.isLearner}`);
      out.line();
    }
  } else {
    for (const m of r.members) out.line(row(m).join(', '));
  }
}
