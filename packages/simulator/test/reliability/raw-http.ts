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
  // Given as a list, headers go out exactly as listed: Node adds neither Host nor Content-Length then.
  let headers = r.headers;
  if (Array.isArray(headers)) {
    const has = (name: string) => (headers as Array<[string, string]>).some(([k]) => k.toLowerCase() === name);
    headers = [...headers];
    if (!has('host')) headers.push(['host', url.host]);
    if (r.body !== undefined && !has('content-length') && !has('transfer-encoding'))
      headers.push(['content-length', String(Buffer.byteLength(r.body))]);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port: Number(url.port),
      method: r.method,
      path: r.path,
      headers: Array.isArray(headers) ? headers.flat() : headers,
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

export interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Splits what came back on a connection into responses (Content-Length or chunked bodies; an
 * interim 100 Continue is skipped). A trailing incomplete response is left out.
 */
export function parseResponses(data: Buffer): RawAnswer[] {
  const out: RawAnswer[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = data.subarray(at, end).toString('latin1');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    const header = (name: string) => new RegExp(`\r\n${name}: *([^\r]*)`, 'i').exec(head)?.[1];
    let next = end + 4;
    let body: Buffer = Buffer.alloc(0);
    if (header('transfer-encoding')?.toLowerCase().includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const line = data.indexOf('\r\n', next);
        if (line < 0) return out;
        const size = parseInt(data.subarray(next, line).toString('latin1'), 16);
        if (!(size >= 0) || line + 2 + size + 2 > data.length) return out;
        parts.push(data.subarray(line + 2, line + 2 + size));
        next = line + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(header('content-length') ?? 0);
      if (next + length > data.length) break;
      body = data.subarray(next, next + length);
      next += length;
    }
    at = next;
    if (status === 100) continue;
    out.push({ status, contentType: header('content-type') ?? '', body: body.toString('utf8') });
  }
  return out;
}

/**
 * Writes raw bytes on a socket (strings as latin1, byte for byte) and collects the responses
 * until `responses` complete ones are in, the server closes, or `waitMs` passes. For requests
 * node:http will not produce: a Content-Length the body never reaches, bytes in slow pieces,
 * pipelined, smuggled or unparsable requests.
 */
export function sendBytes(
  baseUrl: string,
  pieces: Array<string | Buffer>,
  options: { gapMs?: number; waitMs?: number; halfClose?: boolean; responses?: number } = {},
): Promise<RawAnswer[]> {
  const url = new URL(baseUrl);
  if (url.hostname !== '127.0.0.1') throw new Error('refusing to send anywhere but 127.0.0.1');
  const wanted = options.responses ?? 1;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(url.port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponses(Buffer.concat(chunks)));
    };
    const timer = setTimeout(finish, options.waitMs ?? 3_000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (parseResponses(Buffer.concat(chunks)).length >= wanted) finish();
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
        socket.write(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
      if (options.halfClose && !socket.destroyed) socket.end();
    });
  });
}
