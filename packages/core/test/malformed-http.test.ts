/**
 * Requests Node's HTTP parser refuses before the app sees them still get the JSON envelope
 * (D15): a bad request line, a bad header, oversized headers, a broken chunked body, no Host,
 * CONNECT; and an unknown Expect is served as if it were absent.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

/** Writes raw bytes and reads until the server closes the connection. */
function raw(text: string): Promise<{ status: number; contentType: string; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: s.server.port });
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = out.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), contentType: /content-type: ([^\r]+)/i.exec(head)?.[1] ?? '', body: JSON.parse(body) });
    });
    socket.end(text);
  });
}

describe('requests that are not valid HTTP', () => {
  it.each([
    ['a lowercase method', 'get /healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an unknown HTTP version', 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n'],
    ['headers over the limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
    ['a broken chunked body', 'POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n'],
    ['two different Content-Lengths', 'POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}'],
    ['an HTTP/1.1 request without Host', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'],
  ])('answers %s with a JSON 400 BAD_REQUEST', async (_name, text) => {
    const res = await raw(text);
    expect(res).toMatchObject({ status: 400, body: { ok: false, code: 'BAD_REQUEST', message: expect.any(String) } });
    expect(res.contentType).toMatch(/^application\/json/);
  });

  it('serves a request whose Expect it does not know as if the header were absent', async () => {
    const res = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n');
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('answers CONNECT with a JSON 405', async () => {
    const res = await raw('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(res).toMatchObject({ status: 405, body: { ok: false, code: 'METHOD_NOT_ALLOWED' } });
  });
});
