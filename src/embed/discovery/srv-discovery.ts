// Bootstrapping from DNS SRV records (--discovery-srv), as etcd does: the records
// _etcd-server-ssl._tcp.<domain> (https) and _etcd-server._tcp.<domain> (http), with
// "-<name>" after the service when --discovery-srv-name is set, list the peers. The
// record whose address is one of this member's advertised peer URLs takes this member's
// name; the others are named 0, 1, 2... in the order found.

import { promises as dns } from 'node:dns';

export interface SrvRecord {
  name: string;
  port: number;
}

export interface SrvResolver {
  resolveSrv(name: string): Promise<SrvRecord[]>;
  /** host:port → a comparable address (Go's ResolveTCPAddr). */
  resolveHostPort(host: string, port: number): Promise<string>;
}

export const systemResolver: SrvResolver = {
  resolveSrv: (name) => dns.resolveSrv(name),
  resolveHostPort: async (host, port) => {
    const { address, family } = await dns.lookup(host);
    return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
  },
};

function hostPortOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The --initial-cluster text discovered from SRV records, as etcd builds it. */
export async function srvInitialCluster(
  opts: { domain: string; srvName: string; name: string; advertisePeerUrls: readonly string[] },
  resolver: SrvResolver = systemResolver,
): Promise<string> {
  const mine = new Map<string, string>();
  for (const url of opts.advertisePeerUrls) {
    const { host, port } = hostPortOf(url);
    mine.set(await resolver.resolveHostPort(host, port), url);
  }
  const suffix = opts.srvName === '' ? '' : `-${opts.srvName}`;
  const parts: string[] = [];
  let tempName = 0;
  const errors: string[] = [];
  let failures = 0;
  for (const [service, scheme] of [
    [`etcd-server-ssl${suffix}`, 'https'],
    [`etcd-server${suffix}`, 'http'],
  ] as const) {
    let records: SrvRecord[];
    try {
      records = await resolver.resolveSrv(`_${service}._tcp.${opts.domain}`);
    } catch (err) {
      failures++;
      errors.push(`error querying DNS SRV records for _${service} ${(err as Error).message}`);
      continue;
    }
    let problem: string | undefined;
    let added = 0;
    for (const r of records) {
      const target = r.name.replace(/\.$/, '');
      let addr: string;
      try {
        addr = await resolver.resolveHostPort(target, r.port);
      } catch {
        continue;
      }
      const own = mine.get(addr);
      const name = own !== undefined ? opts.name : String(tempName++);
      const url = `${scheme}://${joinHostPort(target, r.port)}`;
      parts.push(`${name}=${url}`);
      added++;
      if (own !== undefined && !own.startsWith(`${scheme}://`)) {
        problem = `bootstrap at ${url} from DNS for ${service} has scheme mismatch with expected peer ${own}`;
      }
    }
    if (added === 0 && problem !== undefined) {
      failures++;
      errors.push(`error querying DNS SRV records for _${service} ${problem}`);
    }
  }
  if (failures === 2) throw new Error(`srv: too many errors querying DNS SRV records (${JSON.stringify(errors[0])}, ${JSON.stringify(errors[1])})`);
  return parts.join(',');
}
