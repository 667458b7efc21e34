// etcdctl --discovery-srv: client endpoints from the _etcd-client-ssl._tcp (https) and
// _etcd-client._tcp (http) SRV records of a domain, as clientv3's srv.GetClient finds
// them. Errors read as Go's resolver words them, because etcdctl prints them verbatim.

import { promises as dns, getServers } from 'node:dns';

export type SrvLookup = (name: string) => Promise<{ name: string; port: number }[]>;

/** Go's text for a failed lookup: "lookup NAME on SERVER:53: no such host". */
function goLookupError(name: string, err: NodeJS.ErrnoException): string {
  const server = getServers()[0] ?? '127.0.0.53';
  const at = server.includes(':') && !server.startsWith('[') ? `[${server}]:53` : `${server}:53`;
  const why = err.code === 'ENOTFOUND' || err.code === 'ENODATA' ? 'no such host' : err.code === 'ETIMEOUT' ? 'i/o timeout' : err.message;
  return `lookup ${name} on ${at}: ${why}`;
}

export async function srvClientEndpoints(
  domain: string,
  serviceName: string,
  insecure: boolean,
  warn: (line: string) => void,
  lookup: SrvLookup = (n) => dns.resolveSrv(n),
): Promise<string[]> {
  const suffix = serviceName === '' ? '' : `-${serviceName}`;
  const urls: string[] = [];
  const errors: string[] = [];
  for (const [service, scheme] of [
    [`etcd-client-ssl${suffix}`, 'https'],
    [`etcd-client${suffix}`, 'http'],
  ] as const) {
    const name = `_${service}._tcp.${domain}`;
    try {
      for (const r of await lookup(name)) urls.push(`${scheme}://${r.name.replace(/\.$/, '')}:${r.port}`);
    } catch (err) {
      errors.push(goLookupError(name, err as NodeJS.ErrnoException));
    }
  }
  if (errors.length === 2) throw new Error(`dns lookup errors: ${errors[0]} and ${errors[1]}`);
  if (insecure) return urls;
  return urls.filter((ep) => {
    if (!ep.startsWith('http://')) return true;
    warn(`ignoring discovered insecure endpoint ${JSON.stringify(ep)}`);
    return false;
  });
}
