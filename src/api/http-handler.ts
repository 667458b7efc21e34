// HTTP/1.1 on the client port: /health, /version, /metrics, and the JSON gateway routes. Every
// answer carries etcd's permissive CORS headers so a browser console can call the
// gateway directly.

import type http from 'node:http';
import { serveGatewayRoute, type GatewayRoute } from './http-gateway.js';

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Headers': 'accept, content-type, authorization',
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'Access-Control-Allow-Origin': '*',
};

export interface HttpHandlerDeps {
  routes: Map<string, GatewayRoute>;
  version(): { etcdserver: string; etcdcluster: string };
  /** Takes the request URL for etcd's ?exclude= and ?serializable= options. */
  health(url: string): Promise<{ health: boolean; reason: string }>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The streamed /v3/watch, on client URLs only. */
  watch?: http.RequestListener;
  /** The streamed /v3/maintenance/snapshot, on client URLs only. */
  snapshot?: http.RequestListener;
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

export function createHttpHandler(deps: HttpHandlerDeps): http.RequestListener {
  return (req, res) => {
    for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'OPTIONS') {
      res.writeHead(200);
      res.end();
      return;
    }
    if (path === '/version') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(deps.version()));
      return;
    }
    if (path === '/health') {
      if (req.method !== 'GET') {
        res.setHeader('Allow', 'GET');
        text(res, 405, 'Method Not Allowed\n');
        return;
      }
      void deps.health(req.url ?? '/health').then((h) => {
        const body = JSON.stringify({ health: String(h.health), reason: h.reason });
        // Go's http.Error on failure: nosniff and a trailing newline; success is the bare JSON.
        if (h.health) {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(body);
        } else text(res, 503, `${body}\n`);
      });
      return;
    }
    if (path === '/metrics') {
      void deps.metrics().then((m) => {
        res.writeHead(200, { 'Content-Type': m.contentType });
        res.end(m.body);
      });
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
    text(res, 404, '404 page not found\n');
  };
}
