// Messages operators grep etcd 3.5's logs for, with the fields etcd attaches. Callers
// log these through the member's Logger, e.g.
//   log.child('embed/serve.go').info(MSG.readyToServe)
//   log.child('embed/serve.go').info(MSG.servingInsecure, { address: '127.0.0.1:2379' })
//   log.child('api/capability.go').info(MSG.enabledCapabilities, { 'cluster-version': '3.5' })
//   log.child('etcdserver/server.go').info(MSG.published, publishedFields(...))

import { formatGoDuration } from '../pkg/go-strconv.js';
import { formatId } from '../pkg/ids.js';

export const MSG = {
  startingServer: 'starting an etcd server',
  readyToServe: 'ready to serve client requests',
  servingInsecure: 'serving client traffic insecurely; this is strongly discouraged!',
  servingSecure: 'serving client traffic securely',
  rejectedHost: 'rejecting HTTP request to prevent DNS rebinding attacks',
  enabledCapabilities: 'enabled capabilities for version',
  published: 'published local member to cluster through raft',
  addedMember: 'added member',
  setClusterVersion: 'set initial cluster version',
  closingServer: 'closing etcd server',
  closedServer: 'closed etcd server',
  receivedSignal: 'received signal; shutting down',
} as const;

/** Go's %+v of etcd's member attributes: `{Name:default ClientURLs:[http://localhost:2379]}`. */
export function memberAttributes(name: string, clientUrls: readonly string[]): string {
  return `{Name:${name} ClientURLs:[${clientUrls.join(' ')}]}`;
}

/** Fields of MSG.published, as etcd 3.5 logs them. */
export function publishedFields(memberId: bigint, name: string, clientUrls: readonly string[], clusterId: bigint, timeoutMs: number): Record<string, unknown> {
  return {
    'local-member-id': formatId(memberId),
    'local-member-attributes': memberAttributes(name, clientUrls),
    'request-path': `/0/members/${formatId(memberId)}/attributes`,
    'cluster-id': formatId(clusterId),
    'publish-timeout': formatGoDuration(timeoutMs),
  };
}

/**
 * The capnslog-era one-liner some scripts grep for:
 * `published {Name:default ClientURLs:[http://localhost:2379]} to cluster cdf818194e3a8c32`.
 */
export function publishedLine(name: string, clientUrls: readonly string[], clusterId: bigint): string {
  return `published ${memberAttributes(name, clientUrls)} to cluster ${formatId(clusterId)}`;
}
