// The peer port: raft message streams between members (the transport's own routes),
// learner promotion handed to the leader, and the informational endpoints operators
// curl (/members, /version). The sockets are bound first, before the data dir is
// touched, so a port in use fails the start at once as in etcd; requests are served
// once the member exists.

import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import type { EtcdServer } from '../server/etcd-server.js';
import { CLUSTER_VERSION, SERVER_VERSION } from '../server/etcd-server.js';
import { listenAddress } from './urls.js';
import { goListenError } from '../api/bound-port.js';
import type { PeerTransport } from '../transport/peer-transport.js';
import { peerMembersJson } from './peer-members-json.js';
import { dropIdlePeerConnections } from '../pkg/go-http-server.js';
import { handlePromote } from '../transport/promote-forwarding.js';
import { watchHandshakeFailures, type HandshakeFailureSink } from '../pkg/tls-handshake-failures.js';

export interface PeerListeners {
  servers: http.Server[];
  /** Starts answering requests for this member; until then peers get 503. `routes` adds endpoints by path. */
  serve(server: EtcdServer, transport: PeerTransport, routes?: PeerRoutes): void;
  close(): void;
}

/** More peer endpoints by exact path (e.g. /members/hashkv), kept outside this file. */
export type PeerRoutes = Record<string, http.RequestListener>;

function peerHandler(server: EtcdServer, transport: PeerTransport, routes: PeerRoutes): http.RequestListener {
  return (req, res) => {
    if (transport.handle(req, res)) return;
    if (handlePromote(req, res, (id) => server.cluster.promoteAsLeader(id))) return;
    const path = (req.url ?? '/').split('?')[0];
    const route = path !== undefined ? routes[path] : undefined;
    if (route) {
      route(req, res);
      return;
    }
    if (path === '/version') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION }));
      return;
    }
    if (path === '/members') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Etcd-Cluster-ID': server.clusterId.toString(16) });
      res.end(`${peerMembersJson(server.membership.list())}\n`);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  };
}

/** `onHandshakeFailure` is told of each connection to an https:// peer URL whose TLS handshake fails. */
export async function listenPeers(urls: string[], tlsFor: (url: string) => tls.TlsOptions | undefined, onHandshakeFailure?: HandshakeFailureSink): Promise<PeerListeners> {
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('etcdserver: server not started\n');
  };
  const servers: http.Server[] = [];
  const closeAll = (): void => {
    for (const s of servers) {
      s.close();
      s.closeAllConnections();
    }
  };
  for (const url of urls) {
    const { host, port } = listenAddress(url);
    // Raft streams are long-lived requests: no per-request deadline may cut them.
    const secure = tlsFor(url);
    const listener: http.RequestListener = (req, res) => handler(req, res);
    const s = dropIdlePeerConnections(secure ? https.createServer({ ...secure, requestTimeout: 0 }, listener) : http.createServer({ requestTimeout: 0 }, listener));
    if (s instanceof https.Server && onHandshakeFailure !== undefined) watchHandshakeFailures(s, onHandshakeFailure);
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) => reject(goListenError(err, host, port)));
        s.listen({ host, port }, () => resolve());
      });
    } catch (err) {
      closeAll();
      throw err;
    }
    servers.push(s);
  }
  return {
    servers,
    serve: (server, transport, routes = {}) => {
      handler = peerHandler(server, transport, routes);
    },
    close: closeAll,
  };
}
