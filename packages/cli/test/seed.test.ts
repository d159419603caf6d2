/**
 * `jiema seed`: applies a file to a database, idempotently, with errors that name the file, the
 * line and the path; a running server sees the result.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, jiema, serve, tempDir } from './helpers.js';

const FIXED = 'jm_sGjYcuoJDAHYbTjMgnK0q8Dwt998hBjTFnKAN0rTY3b';

describe('jiema seed', () => {
  it('applies the example file, and a second run changes nothing', async () => {
    const db = join(tempDir(), 'jiema.db');
    const first = await jiema(['seed', 'fixtures/seed.example.yaml', '--db', db, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.users).toEqual([
      expect.objectContaining({
        ref: 'alice',
        created: true,
        balanceCents: 1200,
        balanceChangeCents: 1200,
        keysAdded: 1,
        newKeys: [{ name: 'laptop', apiKey: expect.stringMatching(/^jm_/) }],
      }),
      expect.objectContaining({ ref: 'ci-bot', created: true, balanceCents: 5000, keysAdded: 1, newKeys: [] }),
    ]);
    expect(r1.pricingRules).toBe(2);
    const second = await jiema(['seed', 'fixtures/seed.example.yaml', '--db', db, '--json']);
    const r2 = JSON.parse(second.stdout);
    expect(
      r2.users.map((u: { created: boolean; balanceChangeCents: number; keysAdded: number }) => [
        u.created,
        u.balanceChangeCents,
        u.keysAdded,
      ]),
    ).toEqual([
      [false, 0, 0],
      [false, 0, 0],
    ]);
    expect(r2.users[0].id).toBe(r1.users[0].id);

    // A server on that database takes the fixed key and charges by the seeded pricing (+30 % on Telegram).
    const s = await serve(['--db', db]);
    try {
      const acct = await api(s.url, '/api/v1/account', { key: FIXED });
      expect(acct.body.data).toMatchObject({ displayName: 'CI', balanceCents: '5000' });
      const order = await api(s.url, '/api/v1/orders', { key: FIXED, method: 'POST', body: { service: 'tg', country: 7 } });
      expect(order.body.data.chargedCents).toBe('28'); // 0.2133 × 1.3 = 0.2773 → 28
      expect((await api(s.url, '/admin/v1/invariants', { admin: s.adminToken })).body.data.ok).toBe(true);
    } finally {
      await s.stop();
    }
  });

  it('moves a balance to what the file says, through the ledger', async () => {
    const dir = tempDir();
    const db = join(dir, 'jiema.db');
    const file = join(dir, 'seed.json');
    writeFileSync(file, JSON.stringify({ users: [{ ref: 'bob', balanceCents: 900 }] }));
    await jiema(['seed', file, '--db', db]);
    writeFileSync(file, JSON.stringify({ users: [{ ref: 'bob', balanceCents: 400, banned: true }] }));
    const r = await jiema(['seed', file, '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bob .* updated +\$4\.00 +-\$5\.00 .* yes/);
  });

  it('names the file, line and path of every problem, with exit code 2', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'users:\n  - ref: alice\n    balanceCents: 12.5\n  - ref: bob\n    keys: [jm_short]\n    color: blue\n');
    const r = await jiema(['seed', file, '--db', join(dir, 'j.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3:19: users[0].balanceCents:`);
    expect(r.stderr).toContain(`users[1]: Unrecognized key: "color"`);
    expect(r.stderr).toContain('users[1].keys[0]');

    writeFileSync(file, 'users:\n  - ref: alice\n   balanceCents: 1\n');
    const yamlError = await jiema(['seed', file, '--db', join(dir, 'j.db')]);
    expect(yamlError.code).toBe(2);
    expect(yamlError.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: `));

    const missing = await jiema(['seed', join(dir, 'nope.yaml'), '--db', join(dir, 'j.db')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: cannot read the file (ENOENT)');

    writeFileSync(
      file,
      JSON.stringify({
        users: [
          { ref: 'a', keys: [FIXED] },
          { ref: 'b', keys: [FIXED] },
        ],
      }),
    );
    const stolen = await jiema(['seed', file, '--db', join(dir, 'k.db')]);
    expect(stolen.code).toBe(2);
    expect(stolen.stderr).toContain('That API key already belongs to another user.');
  });
});
