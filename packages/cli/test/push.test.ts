/**
 * Push through the real binary (docs/decisions.md D94, D97): a webhook delivery in flight when
 * the server is SIGKILLed (or stopped with SIGTERM) is delivered after the restart, with the same webhook-id, verified by
 * the official standardwebhooks library; and `jiema listen --forward-to` forwards the key's
 * events to a local receiver, signed with the secret it prints, one line per delivery.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { readCredentials } from '../src/credentials.js';
import { api, BIN, cleanEnv, eventually, REPO, serve, tempDir } from './helpers.js';

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  res: ServerResponse;
}

/** A receiver on 127.0.0.1 that hands each request to the test, unanswered. */
async function receiver() {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => hits.push({ headers: req.headers, body, res }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

describe('webhooks across a SIGKILL', () => {
  it('delivers, after the restart, the event whose delivery was in flight, with the same webhook-id', async () => {
    const db = join(tempDir(), 'jiema.db');
    const hook = await receiver();
    try {
      const first = await serve(['--db', db]);
      const key = readCredentials(db)!.apiKey!;
      const created = await api(first.url, '/api/v1/webhooks', { key, method: 'POST', body: { url: hook.url, events: ['order.updated'] } });
      expect(created.status).toBe(201);
      const secret: string = created.body.data.secret;
      const order = await api(first.url, '/api/v1/orders', { key, method: 'POST', body: { service: 'tg', country: 7 } });
      expect(order.status).toBe(200);
      // The receiver holds the request: the delivery is in flight when the server dies.
      await eventually(async () => (hook.hits.length > 0 ? true : undefined));
      const inFlight = hook.hits[0]!;
      await first.stop('SIGKILL');

      const second = await serve(['--db', db]);
      try {
        await eventually(async () => (hook.hits.length > 1 ? true : undefined));
        const again = hook.hits[1]!;
        again.res.writeHead(204).end();
        expect(again.headers['webhook-id']).toBe(inFlight.headers['webhook-id']);
        expect(again.body).toBe(inFlight.body);
        const event = new StandardWebhook(secret).verify(again.body, again.headers as Record<string, string>) as {
          type: string;
          data: { id: string };
        };
        expect(event).toMatchObject({ type: 'order.updated', data: { id: order.body.data.id } });
        const deliveries = await eventually(async () => {
          const r = await api(second.url, `/api/v1/webhooks/${created.body.data.id}/deliveries`, { key });
          return r.body.data.items[0].state === 'delivered' ? r.body.data.items : undefined;
        });
        expect(deliveries).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      await hook.close();
    }
  }, 60_000);
});

describe('jiema listen', () => {
  it("forwards the key's events to a local URL, signed with the secret it prints, one line per delivery", async () => {
    const s = await serve(['--ephemeral']);
    const hook = await receiver();
    const listen = spawn(
      process.execPath,
      [BIN, 'listen', '--json', '--base-url', s.url, '--api-key', s.apiKey!, '--forward-to', hook.url, '--max-events', '3'],
      { cwd: REPO, env: cleanEnv() },
    );
    let stdout = '';
    listen.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((r) => listen.on('close', r));
    try {
      const ready = await eventually(async () =>
        stdout.includes('\n') ? (JSON.parse(stdout.split('\n')[0]!) as { ready: boolean; secret: string }) : undefined,
      );
      expect(ready).toMatchObject({ ready: true });
      const order = await api(s.url, '/api/v1/orders', { key: s.apiKey!, method: 'POST', body: { service: 'tg', country: 7 } });
      const sms = await api(s.url, `/_sim/v1/orders/${order.body.data.id}/sms`, {
        admin: s.adminToken,
        method: 'POST',
        body: { body: 'Telegram code: 24680' },
      });
      expect(sms.status).toBe(200);
      // Each forwarded event is answered, so the next can go.
      for (let i = 0; i < 3; i++) {
        await eventually(async () => (hook.hits.length > i ? true : undefined));
        hook.hits[i]!.res.writeHead(200).end();
      }
      expect(await exited).toBe(0);
      const types = hook.hits.map(
        (h) => (new StandardWebhook(ready.secret).verify(h.body, h.headers as Record<string, string>) as { type: string }).type,
      );
      expect(types).toEqual(['order.updated', 'order.updated', 'sms.received']);
      const lines = stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => JSON.parse(l) as { type: string; status: number });
      expect(lines.map((l) => [l.type, l.status])).toEqual([
        ['order.updated', 200],
        ['order.updated', 200],
        ['sms.received', 200],
      ]);
    } finally {
      listen.kill();
      await hook.close();
      await s.stop();
    }
  }, 60_000);
});

describe('webhooks across a graceful restart', () => {
  it('delivers, after a SIGTERM and a restart, the event whose delivery was in flight, with the same webhook-id', async () => {
    const db = join(tempDir(), 'jiema.db');
    const hook = await receiver();
    try {
      const first = await serve(['--db', db]);
      const key = readCredentials(db)!.apiKey!;
      const created = await api(first.url, '/api/v1/webhooks', { key, method: 'POST', body: { url: hook.url, events: ['order.updated'] } });
      const order = await api(first.url, '/api/v1/orders', { key, method: 'POST', body: { service: 'tg', country: 7 } });
      expect(order.status).toBe(200);
      await eventually(async () => (hook.hits.length > 0 ? true : undefined));
      const inFlight = hook.hits[0]!;
      // The receiver never answers: the server stops anyway (after the attempt's timeout at most).
      expect(await first.stop('SIGTERM')).toBe(0);

      const second = await serve(['--db', db]);
      try {
        const again = await eventually(async () => hook.hits.find((h) => h !== inFlight));
        again.res.writeHead(204).end();
        expect(again.headers['webhook-id']).toBe(inFlight.headers['webhook-id']);
        new StandardWebhook(created.body.data.secret).verify(again.body, again.headers as Record<string, string>);
        await eventually(async () => {
          const r = await api(second.url, `/api/v1/webhooks/${created.body.data.id}/deliveries`, { key });
          return r.body.data.items[0].state === 'delivered' ? true : undefined;
        });
      } finally {
        await second.stop();
      }
    } finally {
      await hook.close();
    }
  }, 90_000);
});
