/**
 * Slow clients against the real `jiema serve`, simulator and real-upstream mode alike: headers
 * that trickle in are cut off after 10 s, a body that trickles in after 30 s, each with a 408 in
 * the JSON envelope (docs/decisions.md D47). Every connection is watched at once, so the file takes
 * about 31 s.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serve } from './helpers.js';

interface Cut {
  afterMs: number;
  firstLine: string;
  body: string;
}

/** Opens a connection, writes `head` at once, then one byte of `drip` per second; resolves when the server closes it. */
function trickle(url: string, head: string, drip: string): Promise<Cut> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let got = '';
    let i = 0;
    socket.write(head);
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(drip[i++ % drip.length]!);
    }, 1_000);
    socket.on('data', (d) => (got += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      const [headers = '', body = ''] = got.split('\r\n\r\n');
      resolve({ afterMs: Date.now() - started, firstLine: headers.split('\r\n')[0] ?? '', body });
    });
  });
}

describe('slow clients', () => {
  it('are cut off with 408 after 10 s of headers or 30 s of request, on every server jiema serve starts', async () => {
    const sim = await serve(['--ephemeral']);
    const real = await serve([
      '--ephemeral',
      '--upstream',
      'sms-activate',
      '--upstream-url',
      'http://127.0.0.1:9',
      '--upstream-key',
      'k',
      '--admin-token',
      'jma_slow_clients_admin_token',
    ]);
    try {
      const cuts = await Promise.all(
        [sim.url, real.url].flatMap((url) => [
          trickle(url, 'GET /api/v1/account HTTP/1.1\r\nHost: x\r\n', 'X-Slow: y\r\n'),
          trickle(url, 'POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{', ' '),
        ]),
      );
      for (const [i, cut] of cuts.entries()) {
        const headersOnly = i % 2 === 0;
        expect(cut.firstLine, JSON.stringify(cut)).toBe('HTTP/1.1 408 Request Timeout');
        expect(JSON.parse(cut.body)).toMatchObject({ ok: false, code: 'REQUEST_TIMEOUT' });
        if (headersOnly) expect(cut.afterMs).toBeGreaterThanOrEqual(9_500);
        else expect(cut.afterMs).toBeGreaterThanOrEqual(29_500);
        expect(cut.afterMs).toBeLessThan(headersOnly ? 14_000 : 34_000);
      }
    } finally {
      await sim.stop();
      await real.stop();
    }
  }, 60_000);
});
