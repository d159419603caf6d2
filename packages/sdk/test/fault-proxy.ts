/**
 * A scripted node:http server for fault tests. In front of core's real server it forwards
 * every request, except those a rule matches: it can reset the connection before or after
 * forwarding (the answer is lost but the server acted), hang, or answer with a scripted status,
 * headers and body (429 with Retry-After, 502 HTML, …). It records what it saw.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'reset' }
  | { kind: 'reset-after-forward' }
  | { kind: 'hang' }
  | { kind: 'hang-after-forward' }
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body: string };

export interface FaultRule {
  method?: string;
  /** Matches the start of the path, e.g. "/api/v1/orders". */
  path?: string;
  fault: Fault;
  /** How many matching requests this rule takes; default 1, Infinity for all. */
  times?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  fault: Fault['kind'] | 'forward';
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'content-encoding']);

export const html502 = (): Fault => ({
  kind: 'respond',
  status: 502,
  headers: { 'content-type': 'text/html' },
  body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
});
export const envelope = (status: number, code: string, headers: Record<string, string> = {}): Fault => ({
  kind: 'respond',
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ ok: false, code, message: `scripted ${code}` }),
});

export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  private readonly rules: Array<FaultRule & { left: number }> = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly target: string | undefined,
  ) {}

  /** Starts on 127.0.0.1 (port 0 unless given); with no target, unmatched requests get 599. */
  static async start(target?: string, port = 0): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined; // eslint-disable-line prefer-const -- assigned after the server that refers to it
    const server = createServer((req, res) => void proxy!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    proxy = new FaultProxy(server, `http://127.0.0.1:${addr.port}`, target);
    return proxy;
  }

  script(...rules: FaultRule[]): this {
    for (const r of rules) this.rules.push({ ...r, left: r.times ?? 1 });
    return this;
  }

  requests(method: string, pathPrefix: string): SeenRequest[] {
    return this.seen.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private take(req: IncomingMessage): Fault | undefined {
    const rule = this.rules.find(
      (r) => r.left > 0 && (!r.method || r.method === req.method) && (!r.path || (req.url ?? '').startsWith(r.path)),
    );
    if (!rule) return undefined;
    rule.left -= 1;
    return rule.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const fault = this.take(req);
    this.seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, fault: fault?.kind ?? 'forward' });
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'respond') {
      res.writeHead(fault.status, fault.headers ?? {});
      res.end(fault.body);
      return;
    }
    if (!this.target) {
      res.writeHead(599).end();
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && typeof v === 'string') headers[k] = v;
    const upstream = await fetch(this.target + (req.url ?? '/'), {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const text = await upstream.text();
    if (fault?.kind === 'reset-after-forward') return void req.socket.destroy();
    if (fault?.kind === 'hang-after-forward') return;
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k)) out[k] = v;
    });
    res.writeHead(upstream.status, out);
    res.end(text);
  }
}

/** A port nothing listens on (taken and released), for "connection refused". */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
