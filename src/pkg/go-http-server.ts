// HTTP/1.1 servers that keep connections the way etcd's Go servers do.
//
// Go's net/http server, as etcd configures it for its client, metrics and peer listeners,
// sets no idle timeout: a keep-alive connection stays open until the client closes it.
// Node closes one after 5 s of idle by default, so a client that reuses a pooled
// connection (a Prometheus scraper, a script's HTTP agent, a peer sending pipeline
// messages) can race that close and get "socket hang up" / "other side closed" where
// etcd would have answered.

import type http from 'node:http';

/** Turns off Node's idle keep-alive timeout on `server`, as in etcd; returns the server. */
export function keepIdleConnections<S extends http.Server>(server: S): S {
  server.keepAliveTimeout = 0;
  return server;
}
