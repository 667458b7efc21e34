// HTTP/1.1 on the client port: /health, /version, /metrics, and the JSON gateway routes,
// behind etcd's --cors handling (cors.ts) so a browser console can call the gateway
// directly. The --listen-metrics-urls listener serves /metrics and /health only, without CORS.

import type http from 'node:http';
import { applyCors, type CorsPolicy } from './cors.js';
import { misdirectedBody, refusedHost, type HostPolicy } from './host-whitelist.js';
import { goContentLength, serveGatewayRoute, type GatewayRoute } from './http-gateway.js';

export interface HttpHandlerDeps {
  routes: Map<string, GatewayRoute>;
  /** Absent on the metrics listener, which has no CORS handling and no /version. */
  cors?: CorsPolicy;
  /** --host-whitelist; absent on the metrics listener, which etcd does not check. */
  hosts?: HostPolicy;
  /**
   * --enable-grpc-gateway: when false nothing serves /v3/, so every path there gets Go's
   * plain "404 page not found" rather than the gateway's own "Not Found".
   */
  gateway?: boolean;
  version?(): { etcdserver: string; etcdcluster: string };
  /** Takes the request URL for etcd's ?exclude= and ?serializable= options. */
  health(url: string): Promise<{ health: boolean; reason: string }>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Told the host of each request refused by `hosts` (etcd logs a warning for each). */
  onRefusedHost?(host: string): void;
  /** The streamed /v3/watch, on client URLs only. */
  watch?: http.RequestListener;
  /** The streamed /v3/maintenance/snapshot, on client URLs only. */
  snapshot?: http.RequestListener;
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...goContentLength(body) });
  res.end(body);
}

export function createHttpHandler(deps: HttpHandlerDeps): http.RequestListener {
  return (req, res) => {
    const refused = deps.hosts === undefined ? undefined : refusedHost(deps.hosts, req);
    if (refused !== undefined) {
      deps.onRefusedHost?.(refused);
      text(res, 421, misdirectedBody(refused));
      return;
    }
    if (deps.cors && applyCors(deps.cors, req, res)) return;
    const path = (req.url ?? '/').split('?')[0]!;
    // etcd's /version and /health answer GET only; /metrics (promhttp) answers any method.
    if ((path === '/health' || (path === '/version' && deps.version)) && req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      text(res, 405, 'Method Not Allowed\n');
      return;
    }
    if (path === '/version' && deps.version) {
      const body = JSON.stringify(deps.version());
      res.writeHead(200, { 'Content-Type': 'application/json', ...goContentLength(body) });
      res.end(body);
      return;
    }
    if (path === '/health') {
      void deps.health(req.url ?? '/health').then((h) => {
        const body = JSON.stringify({ health: String(h.health), reason: h.reason });
        // Go's http.Error on failure: nosniff and a trailing newline; success is the bare JSON.
        if (h.health) {
          res.writeHead(200, { ...goContentLength(body), 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(body);
        } else text(res, 503, `${body}\n`);
      });
      return;
    }
    if (path === '/metrics') {
      deps.metrics().then(
        (m) => {
          res.writeHead(200, { 'Content-Type': m.contentType });
          res.end(m.body);
        },
        (err: unknown) => text(res, 500, `An error has occurred while serving metrics:\n\n${String(err instanceof Error ? err.message : err)}\n`),
      );
      return;
    }
    if (path === '/v3/watch' && deps.watch) {
      if (req.method !== 'POST') {
        text(res, 405, 'Method Not Allowed\n');
        return;
      }
      deps.watch(req, res);
      return;
    }
    if (path === '/v3/maintenance/snapshot' && deps.snapshot) {
      if (req.method !== 'POST') {
        text(res, 405, 'Method Not Allowed\n');
        return;
      }
      deps.snapshot(req, res);
      return;
    }
    const route = deps.routes.get(path);
    if (route) {
      if (req.method !== 'POST') {
        text(res, 405, 'Method Not Allowed\n');
        return;
      }
      void serveGatewayRoute(route, req, res);
      return;
    }
    // grpc-gateway owns /v3/ and answers an unknown method there with its own words.
    text(res, 404, path.startsWith('/v3/') && deps.gateway !== false ? 'Not Found\n' : '404 page not found\n');
  };
}
