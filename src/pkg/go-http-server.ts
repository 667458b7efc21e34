// HTTP/1.1 servers that keep or drop idle connections the way etcd's Go servers do.
//
// etcd's client and metrics listeners set no idle timeout: a keep-alive connection stays
// open until the client closes it. Node closes one after 5 s of idle by default, so a
// client that reuses a pooled connection (a Prometheus scraper, a script's HTTP agent)
// could race that close and get "socket hang up" where etcd would have answered.
//
// etcd's peer listener is different: every read on a peer connection carries a 5 s
// deadline, so a keep-alive connection left idle there is dropped after 5 to 10 s
// (measured against etcd 3.4.23). Members' own clients give idle peer connections up
// sooner than that, and long-lived raft streams are not idle between requests.

import type http from 'node:http';

/** How long an idle keep-alive connection on the peer port lives: etcd's peer read deadline. */
export const PEER_IDLE_TIMEOUT_MS = 5000;

/** Turns off Node's idle keep-alive timeout on `server`, as etcd's client and metrics listeners have none; returns the server. */
export function keepIdleConnections<S extends http.Server>(server: S): S {
  server.keepAliveTimeout = 0;
  return server;
}

/** Drops a keep-alive connection idle for `PEER_IDLE_TIMEOUT_MS`, as etcd's peer listener does; returns the server. */
export function dropIdlePeerConnections<S extends http.Server>(server: S): S {
  server.keepAliveTimeout = PEER_IDLE_TIMEOUT_MS;
  return server;
}
