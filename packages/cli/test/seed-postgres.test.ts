/**
 * `jiema seed --db postgres://…` (docs/decisions.md D127): the same seed file applies to a
 * PostgreSQL database as to a SQLite file, and running it again changes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../../core/test/postgres.js';
import { jiema } from './helpers.js';

let t: TestSchema;
beforeEach(async () => {
  t = await createTestSchema();
});
afterEach(async () => {
  await t.drop();
});

describe('jiema seed on PostgreSQL', () => {
  it('creates the users, keys, balances and pricing once, and nothing the second time', async () => {
    const first = await jiema(['seed', 'fixtures/seed.example.yaml', '--db', t.url, '--json']);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as {
      users: Array<{ ref: string; created: boolean; balanceCents: number }>;
      pricingRules: number;
    };
    expect(report.users.map((u) => [u.ref, u.created])).toEqual([
      ['alice', true],
      ['ci-bot', true],
    ]);
    const stored = await t.client.query<{ n: string; total: string }>('SELECT COUNT(*) AS n, SUM(balance_cents) AS total FROM users');
    expect(Number(stored.rows[0]!.n)).toBe(2);
    expect(Number(stored.rows[0]!.total)).toBe(report.users.reduce((a, u) => a + u.balanceCents, 0));
    const ledger = await t.client.query<{ n: string }>('SELECT COUNT(*) AS n FROM ledger');

    const again = await jiema(['seed', 'fixtures/seed.example.yaml', '--db', t.url, '--json']);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { users: Array<{ created: boolean }> }).users.every((u) => !u.created)).toBe(true);
    expect((await t.client.query<{ n: string }>('SELECT COUNT(*) AS n FROM ledger')).rows[0]!.n).toBe(ledger.rows[0]!.n);
  });

  it('says a database it cannot reach cannot be reached (exit 3), without the password or a stack', async () => {
    const r = await jiema(['seed', 'fixtures/seed.example.yaml', '--db', 'postgres://postgres:secret@127.0.0.1:1/test']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^jiema: Cannot connect to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test/);
    expect(r.stderr).not.toContain('secret');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
