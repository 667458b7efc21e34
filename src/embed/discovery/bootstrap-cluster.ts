// Where a new member's initial cluster comes from: --initial-cluster as given, DNS SRV
// records (--discovery-srv), or a v2 discovery URL (--discovery). With a discovery URL
// the URL itself is the cluster token, so ids differ from any other cluster's.

import { formatUrlsMap, parseUrlsMap } from '../../pkg/go-url.js';
import type { ServerConfig } from '../config.js';
import { computeMemberId } from '../identity.js';
import { StartError } from '../start-errors.js';
import { srvInitialCluster, type SrvResolver } from './srv-discovery.js';
import { joinDiscoveryCluster, type DiscoveryDeps, type DiscoveryLogger } from './v2-discovery.js';

export interface BootstrapCluster {
  initialCluster: Map<string, string[]>;
  token: string;
}

type Input = Pick<ServerConfig, 'name' | 'initialCluster' | 'initialClusterToken' | 'initialAdvertisePeerUrls' | 'discovery' | 'discoverySrv' | 'discoverySrvName'>;

/** What etcd checks before contacting anyone: this member's own entry. */
export function preDiscoveryCluster(cfg: Input): Map<string, string[]> {
  if (cfg.discovery !== '') return new Map([[cfg.name, [...cfg.initialAdvertisePeerUrls]]]);
  return cfg.initialCluster;
}

export async function resolveBootstrapCluster(
  cfg: Input,
  log: DiscoveryLogger,
  deps: { resolver?: SrvResolver; discovery?: DiscoveryDeps } = {},
): Promise<BootstrapCluster> {
  if (cfg.discoverySrv !== '') {
    let text: string;
    try {
      text = await srvInitialCluster(
        { domain: cfg.discoverySrv, srvName: cfg.discoverySrvName, name: cfg.name, advertisePeerUrls: cfg.initialAdvertisePeerUrls },
        deps.resolver,
      );
    } catch (err) {
      throw new StartError((err as Error).message);
    }
    const initialCluster = parseUrlsMap(text);
    if (!initialCluster.has(cfg.name)) throw new StartError(`cannot find local etcd member ${JSON.stringify(cfg.name)} in SRV records`);
    log.info('discovered the initial cluster from DNS SRV records', { 'discovery-srv': cfg.discoverySrv, 'initial-cluster': text });
    return { initialCluster, token: cfg.initialClusterToken };
  }
  if (cfg.discovery !== '') {
    const self = preDiscoveryCluster(cfg);
    const id = computeMemberId(cfg.initialAdvertisePeerUrls, cfg.discovery);
    const text = await joinDiscoveryCluster(cfg.discovery, id, formatUrlsMap(self), log, deps.discovery);
    return { initialCluster: parseUrlsMap(text), token: cfg.discovery };
  }
  return { initialCluster: cfg.initialCluster, token: cfg.initialClusterToken };
}
