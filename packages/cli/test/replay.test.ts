/**
 * `jiema replay`, run as a real process: every bundled scenario passes on in-process simulators;
 * reporters; failures; bad files; and the same files against a running server.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../src/replay/scenario-schema.js';
import { jiema, REPO, serve, tempDir } from './helpers.js';

const failing = `
name: A scenario that fails on purpose
setup:
  users: [ { as: alice, balanceCents: 100 } ]
steps:
  - as: alice
    request: GET /api/v1/account
    expect: { status: 200, body: { data: { balanceCents: "999" } } }
  - advance: 1m
`;

describe('jiema replay', () => {
  it('passes every bundled scenario (at least 15), checking the ledger after every step', async () => {
    const r = await jiema(['replay', 'fixtures/scenarios/*.yaml', '--reporter', 'json']);
    expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.scenarios.length).toBeGreaterThanOrEqual(15);
    expect(report).toMatchObject({ ok: true, failed: 0 });
    for (const s of report.scenarios) {
      expect(s.status, `${s.name}: ${JSON.stringify(s.steps.find((x: { status: string }) => x.status !== 'passed'))}`).toBe('passed');
      expect(s.steps.every((x: { status: string }) => x.status === 'passed')).toBe(true);
    }
  }, 60_000);

  it('fails with exit code 1 and says which step and why, in every reporter', async () => {
    const dir = tempDir();
    const file = join(dir, 'fails.yaml');
    writeFileSync(file, failing);
    const pretty = await jiema(['replay', file]);
    expect(pretty.code).toBe(1);
    expect(pretty.stdout).toContain('✗ GET /api/v1/account');
    expect(pretty.stdout).toContain('answer body.data.balanceCents: expected "999", got "100"');
    expect(pretty.stdout).toContain('- advance 1m — skipped: an earlier step failed');
    expect(pretty.stdout).toContain('1 scenario(s): 0 passed, 1 failed');

    const junit = await jiema(['replay', file, '--reporter', 'junit']);
    expect(junit.code).toBe(1);
    expect(junit.stdout).toMatch(/^<\?xml version="1.0"/);
    expect(junit.stdout).toContain('<testsuites name="jiema replay" tests="1" failures="1">');
    expect(junit.stdout).toContain('<failure message="answer body.data.balanceCents: expected &quot;999&quot;, got &quot;100&quot;">');

    const tap = await jiema(['replay', file, 'fixtures/scenarios/cancel-refund.yaml', '--reporter', 'tap']);
    expect(tap.stdout).toMatch(/^TAP version 14\n1\.\.2\nnot ok 1 - A scenario that fails on purpose\n/);
    expect(tap.stdout).toContain('ok 2 - Cancel before any SMS');

    const bail = await jiema(['replay', file, 'fixtures/scenarios/cancel-refund.yaml', '--bail', '--reporter', 'json']);
    expect(JSON.parse(bail.stdout).scenarios).toHaveLength(1);
  });

  it('refuses an invalid scenario file with exit code 2, naming the file and the path', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: x\nsteps:\n  - as: alice\n    request: FETCH /api/v1/account\n');
    const r = await jiema(['replay', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:4:14: steps[0].request: a request is "METHOD /path"`);
    expect((await jiema(['replay', 'no/such/*.yaml'])).code).toBe(2);
    expect((await jiema(['replay'])).code).toBe(2);
  });

  it('ships a JSON Schema generated from the zod schema, and it is up to date', async () => {
    const committed = JSON.parse(readFileSync(join(REPO, 'packages/cli/schemas/scenario.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
    const printed = await jiema(['replay', '--print-schema']);
    expect(JSON.parse(printed.stdout)).toEqual(committed);
  });

  it('runs the same files against a running server, using its control API through the admin token', async () => {
    const s = await serve(['--ephemeral', '--clock', 'manual']);
    try {
      const r = await jiema([
        'replay',
        'fixtures/scenarios/cancel-after-code.yaml',
        'fixtures/scenarios/no-numbers.yaml',
        '--target',
        s.url,
        '--admin-token',
        s.adminToken,
        '--reporter',
        'json',
      ]);
      expect(r.code, r.stdout).toBe(0);
      expect(JSON.parse(r.stdout).scenarios.every((x: { target: string }) => x.target === s.url)).toBe(true);
    } finally {
      await s.stop();
    }
  });

  it('skips control steps against a server without a control API, and honours a spend cap', async () => {
    const s = await serve(['--ephemeral', '--clock', 'manual']);
    try {
      const dir = tempDir();
      const file = join(dir, 'live.yaml');
      writeFileSync(
        file,
        `name: Against a live server
steps:
  - { as: me, request: POST /api/v1/orders, body: { service: tg, country: 7 }, expect: { status: 200 }, capture: { order: data.id } }
  - { advance: 5m }
  - { as: me, request: POST /api/v1/orders, body: { service: tg, country: 7 }, expect: { status: 200 } }
`,
      );
      const r = await jiema([
        'replay',
        file,
        '--target',
        s.url,
        '--key',
        `me=${s.apiKey}`,
        '--max-spend-cents',
        '30',
        '--reporter',
        'json',
      ]);
      const report = JSON.parse(r.stdout);
      const steps = report.scenarios[0].steps;
      expect(steps[0].status).toBe('passed');
      expect(steps[1]).toMatchObject({ status: 'skipped', message: 'needs the simulator control API' });
      expect(steps[2]).toMatchObject({ status: 'failed', message: 'spend cap reached: 32 of 30 cents already charged' });
      expect(r.code).toBe(1);
    } finally {
      await s.stop();
    }
  });
});
