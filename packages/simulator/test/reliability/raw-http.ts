/**
 * HTTP requests exactly as written, with node:http and node:net rather than fetch (which
 * refuses some headers, methods and bodies): any header shape, a chosen source address, raw
 * bytes on a socket, bodies that stop short or trickle in. Only ever aimed at 127.0.0.1.
 */
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: any;
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export interface RawRequest {
  method: string;
  path: string;
  headers?: OutgoingHttpHeaders | Array<[string, string]>;
  body?: string | Buffer;
  /** Bind the client socket here (any 127.x.y.z), to look like another client. */
  localAddress?: string;
  timeoutMs?: number;
}

export function send(baseUrl: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to send anywhere but 127.0.0.1 (${url.hostname})`);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port: Number(url.port),
      method: r.method,
      path: r.path,
      headers: Array.isArray(r.headers) ? r.headers.flat() : r.headers,
      ...(r.localAddress && { localAddress: r.localAddress }),
      agent: false,
      timeout: r.timeoutMs ?? 10_000,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${r.timeoutMs ?? 10_000} ms: ${r.method} ${r.path}`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
      });
    });
    req.end(r.body);
  });
}

/**
 * Writes raw bytes on a socket and reads until the server closes it or `waitMs` passes. For
 * requests node:http will not produce: a Content-Length the body never reaches, bytes sent in
 * slow pieces, malformed request lines.
 */
export function sendBytes(baseUrl: string, pieces: Array<string | Buffer>, options: { gapMs?: number; waitMs?: number } = {}): Promise<{ raw: string; status: number | undefined; body: string }> {
  const url = new URL(baseUrl);
  if (url.hostname !== '127.0.0.1') throw new Error('refusing to send anywhere but 127.0.0.1');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(url.port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('utf8');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1];
      resolve({ raw, status: status === undefined ? undefined : Number(status), body: raw.split('\r\n\r\n').slice(1).join('\r\n\r\n') });
    };
    const timer = setTimeout(finish, options.waitMs ?? 3_000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One response is all these requests want: stop once a complete one is in.
      const raw = Buffer.concat(chunks).toString('utf8');
      const length = /\r\ncontent-length: *(\d+)/i.exec(raw)?.[1];
      const split = raw.indexOf('\r\n\r\n');
      if (length !== undefined && split >= 0 && Buffer.byteLength(raw.slice(split + 4)) >= Number(length)) finish();
    });
    socket.on('close', finish);
    socket.on('error', (err) => {
      if (chunks.length > 0) finish();
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
    });
  });
}
