/**
 * Keys, tokens and SMS never reach the logs: a busy session on a simulator logging at debug —
 * keys issued, used, mistyped, revoked and presented on the wrong API; SMS delivered, polled,
 * followed by next-sms; cancels, expiries, upstream faults, idempotent retries — and then the
 * captured log text is searched for every secret the session handled.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, cryptoRng, generateApiKey } from '@jiema/core';
import { startSimulator } from '../../src/index.js';
import { QUIET } from '../helpers.js';
import { knobs, report } from './knobs.js';
import { lineSink } from './log-sink.js';
import { send } from './raw-http.js';

describe('logs', () => {
  it('never contain an API key, the admin or upstream token, an SMS code or an SMS text', async () => {
    const { lines, stream: sink } = lineSink();
    const sim = await startSimulator({
      seed: knobs.seed,
      clock: 'manual',
      behaviour: QUIET,
      rateLimits: { writePerMin: 1_000, readPerMin: 1_000 },
      logger: (clock) => createLogger({ clock, level: 'debug', destination: sink }),
    });
    const keys: string[] = [];
    const codes: string[] = [];
    const texts: string[] = [];
    try {
      const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
        send(sim.url, {
          method,
          path,
          headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      const control = (method: string, path: string, body?: unknown) => call(method, path, { 'x-admin-token': sim.adminToken }, body);

      const users = [];
      for (let i = 0; i < 3; i++) {
        const u = (await control('POST', '/_sim/v1/users', { balanceCents: 2_000 })).json.data as { id: string; apiKey: string };
        keys.push(u.apiKey);
        users.push(u);
      }
      const issued = (await control('POST', `/admin/v1/users/${users[0]!.id}/keys`, { name: 'ci' })).json.data;
      keys.push(issued.apiKey);
      const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

      for (const [i, u] of users.entries()) {
        const headers = i === 1 ? { 'x-api-key': u.apiKey } : bearer(u.apiKey);
        await call('GET', '/api/v1/account', headers);
        await call('GET', '/api/v1/services', headers);
        await call('GET', '/api/v1/prices?service=tg', headers);
        for (let n = 0; n < 3; n++) {
          const created = await call(
            'POST',
            '/api/v1/orders',
            { ...headers, 'idempotency-key': `order-${i}-${n}` },
            { service: 'tg', country: 'my' },
          );
          expect(created.status, created.text).toBe(200);
          const id = created.json.data.id as string;
          await call('POST', '/api/v1/orders', { ...headers, 'idempotency-key': `order-${i}-${n}` }, { service: 'tg', country: 'my' });
          if (n === 2) {
            await call('POST', `/api/v1/orders/${id}/cancel`, headers);
            continue;
          }
          // One SMS with a text we chose, one realistic one the simulator writes.
          const code = String(700_000 + i * 1_000 + n * 10 + 7);
          const text = `Your login code is ${code}. Marker QUOKKA${i}${n}, do not share.`;
          const sms = (await control('POST', `/_sim/v1/orders/${id}/sms`, { body: text })).json.data;
          codes.push(code);
          texts.push(text, `QUOKKA${i}${n}`);
          await sim.advance(2_500);
          expect((await call('GET', `/api/v1/orders/${id}`, headers)).json.data.smsCode).toBe(sms.code);
          await call('GET', '/api/v1/orders?limit=5', headers);
          await call('POST', `/api/v1/orders/${id}/next-sms`, headers);
          await sim.advance(1_000);
          const second = (await control('POST', `/_sim/v1/orders/${id}/sms`)).json.data;
          if (second.code) codes.push(second.code);
          texts.push(second.body);
          await sim.advance(2_500);
          await call('GET', `/api/v1/orders/${id}`, headers);
          await call('POST', `/api/v1/orders/${id}/cancel`, headers); // CODE_RECEIVED
        }
      }

      // Every wrong way to present a credential.
      const unknownKey = generateApiKey(cryptoRng);
      keys.push(unknownKey);
      await call('GET', '/api/v1/account', bearer(unknownKey));
      await call('GET', '/api/v1/account', bearer(`${users[0]!.apiKey.slice(0, -1)}Q`));
      await call('GET', '/api/v1/account', { authorization: `Bearer ${users[0]!.apiKey}`, 'x-api-key': users[1]!.apiKey });
      await call('GET', '/api/v1/account', bearer(sim.adminToken));
      await call('GET', '/admin/v1/users', bearer(users[0]!.apiKey));
      await call('GET', '/admin/v1/users', { 'x-admin-token': `${sim.adminToken}-wrong` });
      await call('GET', `/stubs/handler_api.php?api_key=${users[0]!.apiKey}&action=getBalance`);
      await control('POST', `/admin/v1/users/${users[0]!.id}/keys/${issued.key.id}/revoke`);
      await call('GET', '/api/v1/account', bearer(issued.apiKey));

      // Upstream faults on every path that logs them, then time running out.
      for (const fault of [
        { kind: 'error', error: 'UNAVAILABLE', method: 'buy', count: 1 },
        { kind: 'garbage', method: 'buy', count: 1 },
        { kind: 'error', error: 'NO_BALANCE', method: 'buy', count: 1 },
        { kind: 'error', error: 'UNAVAILABLE', method: 'cancel', count: 3 },
      ]) {
        await control('POST', '/_sim/v1/faults', fault);
        await call('POST', '/api/v1/orders', bearer(users[2]!.apiKey), { service: 'tg', country: 7 });
      }
      await sim.advance(25 * 60_000);
    } finally {
      await sim.close();
    }

    const all = lines.join('\n');
    const events = new Set(lines.map((l) => (JSON.parse(l) as { event: string }).event));
    // The session went through the paths that log the most: failures of every kind.
    for (const event of [
      'http.request',
      'order.transition',
      'auth.failed',
      'upstream.buy_failed',
      'upstream.operator_alert',
      'outbox.retry',
    ])
      expect(events).toContain(event);
    expect(all).not.toMatch(/jm_[0-9A-Za-z]{6,}/);
    for (const key of keys) expect(all).not.toContain(key.slice(3, 15));
    expect(all).not.toContain(sim.adminToken);
    expect(all).not.toContain(sim.upstreamApiKey);
    for (const code of codes) expect(all, `code ${code}`).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
    for (const text of texts) expect(all).not.toContain(text);
    report('secrets-in-logs', {
      logLines: lines.length,
      events: [...events].sort(),
      keys: keys.length,
      smsCodes: codes.length,
      smsTexts: texts.length,
    });
  });
});
