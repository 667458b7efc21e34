// The peer port. Raft traffic between members arrives with the replication issue; the
// informational endpoints operators curl (/members, /version) are served now.

import http from 'node:http';
import type { EtcdServer } from '../server/etcd-server.js';
import { CLUSTER_VERSION, SERVER_VERSION } from '../server/etcd-server.js';
import { listenAddress } from './urls.js';

export async function startPeerServer(server: EtcdServer, urls: string[]): Promise<http.Server[]> {
  const handler: http.RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/version') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION }));
      return;
    }
    if (path === '/members') {
      const members = server.membership.list().map((m) => ({ id: m.id.toString(16), name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs }));
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Etcd-Cluster-ID': server.clusterId.toString(16) });
      res.end(JSON.stringify(members));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  };
  const servers: http.Server[] = [];
  for (const url of urls) {
    const { host, port } = listenAddress(url);
    const s = http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen({ host, port }, () => resolve());
    });
    servers.push(s);
  }
  return servers;
}
