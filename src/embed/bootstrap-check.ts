// The start-up checks etcd makes on a static --initial-cluster before creating a new
// member (embed's PeerURLsMapAndToken and the server config's VerifyBootstrap /
// VerifyJoinExisting), with etcd's messages. Each returns the error text, or undefined.
//
// Limitation: etcd resolves host names with DNS before comparing --initial-cluster to
// --initial-advertise-peer-urls; here only "localhost" is treated as 127.0.0.1.

import { formatUrlsMap, parseGoUrl } from '../pkg/go-url.js';
import type { ServerConfig } from './config.js';

type BootstrapInput = Pick<
  ServerConfig,
  'name' | 'initialCluster' | 'initialClusterError' | 'initialAdvertisePeerUrls' | 'discovery' | 'initialClusterState'
>;

/** Comparable form of a URL: what Go's resolver would make of "localhost". */
function resolved(url: string): string {
  const u = parseGoUrl(url);
  return u.host.startsWith('localhost:') ? `${u.scheme}://127.0.0.1${u.host.slice('localhost'.length)}` : url;
}

function duplicateUrl(cluster: ReadonlyMap<string, readonly string[]>): boolean {
  const seen = new Set<string>();
  for (const urls of cluster.values()) {
    for (const u of urls) {
      if (seen.has(u)) return true;
      seen.add(u);
    }
  }
  return false;
}

function advertiseMismatch(cfg: BootstrapInput): string | undefined {
  const mine = [...(cfg.initialCluster.get(cfg.name) ?? [])].sort();
  const advertised = [...cfg.initialAdvertisePeerUrls].sort();
  const a = advertised.map(resolved).sort();
  const b = mine.map(resolved).sort();
  let why: string | undefined;
  if (a.length !== b.length) {
    why = `len(${goStrings(a)}) != len(${goStrings(b)})`;
  } else {
    const i = a.findIndex((x, k) => x !== b[k]);
    if (i >= 0) why = `resolved urls: ${JSON.stringify(advertised[i])} != ${JSON.stringify(mine[i])}`;
  }
  if (why === undefined) return undefined;
  const missing = mine.filter((u) => !advertised.includes(u));
  if (missing.length > 0) {
    return `--initial-cluster has ${missing.map((u) => `${cfg.name}=${u}`).join(',')} but missing from --initial-advertise-peer-urls=${advertised.join(',')} (${why})`;
  }
  const extra = advertised.filter((u) => !mine.includes(u));
  const own = formatUrlsMap(new Map([[cfg.name, cfg.initialAdvertisePeerUrls]]));
  if (extra.length > 0) return `--initial-advertise-peer-urls has ${extra.join(',')} but missing from --initial-cluster=${own}`;
  return `failed to resolve ${advertised.join(',')} to match --initial-cluster=${own} (${why})`;
}

/** Go's %q of a []string: ["a" "b"]. */
function goStrings(xs: readonly string[]): string {
  return `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
}

/** Checks for bootstrapping a new member from --initial-cluster. */
export function verifyBootstrap(cfg: BootstrapInput): string | undefined {
  if (cfg.initialClusterError !== undefined) return `error setting up initial cluster: ${cfg.initialClusterError}`;
  if (!cfg.initialCluster.has(cfg.name)) return `couldn't find local name ${JSON.stringify(cfg.name)} in the initial cluster configuration`;
  if (cfg.initialClusterState === 'existing') {
    if (duplicateUrl(cfg.initialCluster)) return `initial cluster ${formatUrlsMap(cfg.initialCluster)} has duplicate url`;
    if (cfg.discovery !== '') return 'discovery URL should not be set when joining existing initial cluster';
    return undefined;
  }
  const mismatch = advertiseMismatch(cfg);
  if (mismatch !== undefined) return mismatch;
  if (duplicateUrl(cfg.initialCluster)) return `initial cluster ${formatUrlsMap(cfg.initialCluster)} has duplicate url`;
  if (formatUrlsMap(cfg.initialCluster) === '' && cfg.discovery === '') return 'initial cluster unset and no discovery URL found';
  return undefined;
}
