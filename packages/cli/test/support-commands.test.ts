/**
 * The operators' support commands through the real binary (docs/decisions.md D100, D101): find a
 * customer's orders, show one with its upstream activation id and history, refund it with a
 * reason, and read the user's ledger.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { api, jiema, useServe } from './helpers.js';

const s = useServe(['--ephemeral', '--clock', 'manual']);
let env: Record<string, string>;
beforeAll(() => {
  env = { JIEMA_BASE_URL: s.url, JIEMA_ADMIN_TOKEN: s.adminToken };
});

describe('jiema admin orders and jiema ledger', () => {
  it('finds an order by phone, shows its history, refunds it once and shows the refund in the ledger', async () => {
    const bought = await api(s.url, '/api/v1/orders', { key: s.apiKey!, method: 'POST', body: { service: 'tg', country: 7 } });
    expect(bought.status).toBe(200);
    const order = bought.body.data as { id: string; phone: string; chargedCents: string };
    await api(s.url, `/_sim/v1/orders/${order.id}/sms`, { admin: s.adminToken, method: 'POST', body: { body: 'Telegram code: 83651' } });
    await api(s.url, '/_sim/v1/clock/advance', { admin: s.adminToken, method: 'POST', body: { ms: 21 * 60_000 } });

    const list = await jiema(['admin', 'orders', '--phone', order.phone, '--status', 'COMPLETED'], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID +USERID +STATUS +SERVICE/);
    expect(list.stdout).toContain(order.id);
    const json = JSON.parse((await jiema(['admin', 'orders', 'list', '--user', s.userId, '--json'], { env })).stdout);
    expect(json.items.map((o: { id: string }) => o.id)).toContain(order.id);

    const shown = await jiema(['admin', 'orders', 'get', order.id], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/upstream: +activation \S+/);
    expect(shown.stdout).toMatch(/sms_received +SMS with code 83651/);
    expect(shown.stdout).toMatch(/ended +COMPLETED/);

    const noReason = await jiema(['admin', 'orders', 'refund', order.id], { env });
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason');
    const refund = await jiema(['admin', 'orders', 'refund', order.id, '--reason', 'ticket 812: the code was rejected'], { env });
    expect(refund.code, refund.stderr).toBe(0);
    expect(refund.stdout).toMatch(/^Refunded \$\d+\.\d\d for order /);
    const twice = await jiema(['admin', 'orders', 'refund', order.id, '--reason', 'again'], { env });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^jiema: BAD_STATUS: .*already refunded/);

    const ledger = await jiema(['ledger', s.userId], { env });
    expect(ledger.code, ledger.stderr).toBe(0);
    expect(ledger.stdout.split('\n')[1]).toMatch(/^CREATEDAT +KIND +AMOUNT/);
    expect(ledger.stdout.split('\n')[2]).toMatch(/refund .*ticket 812: the code was rejected/);
    const ledgerJson = JSON.parse((await jiema(['ledger', s.userId, '--json', '--limit', '1'], { env })).stdout);
    expect(ledgerJson.items).toEqual([expect.objectContaining({ kind: 'refund', orderId: order.id, amountCents: order.chargedCents })]);
    expect(ledgerJson.nextCursor).toEqual(expect.any(String));
    const invariants = await api(s.url, '/admin/v1/invariants', { admin: s.adminToken });
    expect(invariants.body.data).toEqual({ ok: true, violations: [] });
  });

  it('answers bad usage with exit code 2 and unknown orders with 1', async () => {
    const missing = await jiema(['admin', 'orders', 'get'], { env });
    expect(missing.code).toBe(2);
    const unknown = await jiema(['admin', 'orders', 'get', 'ck_nothing'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^jiema: NOT_FOUND: /);
    const badStatus = await jiema(['admin', 'orders', '--status', 'LOST'], { env });
    expect(badStatus.code).toBe(2);
    const badTime = await jiema(['admin', 'orders', '--from', 'yesterday'], { env });
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toContain('from');
  });
});
