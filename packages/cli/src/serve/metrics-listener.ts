/**
 * `jiema serve --metrics-port`: the Prometheus metrics on a listener of their own (docs/decisions.md
 * D102), without the admin token — for a scraper on a private interface. Only `GET /metrics`;
 * anything else is a JSON 404.
 */
import { createServer, type Server } from 'node:http';
import { bindServer, PROMETHEUS_CONTENT_TYPE, type Engine } from '@jiema/core';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsListener(engine: () => Engine, host: string, port: number): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      const body = JSON.stringify({ ok: false, code: 'NOT_FOUND', message: `This listener serves only GET /metrics.` });
      res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    engine()
      .metrics.render()
      .then(
        (text) => {
          res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          engine().log.error({ event: 'metrics.failed', error: String(err) });
          res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ ok: false, code: 'INTERNAL', message: 'The metrics could not be collected; it has been logged.' }));
        },
      );
  });
  server.keepAliveTimeout = 5_000;
  const { address, port: bound } = await bindServer(server, port, host);
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${bound}/metrics`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
