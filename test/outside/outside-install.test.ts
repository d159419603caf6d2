/**
 * The packages as a new user gets them (issue #19, docs/decisions.md D65): every package is packed
 * with `pnpm pack`, the tarballs are installed into an empty project outside the repository — once
 * with npm, once with pnpm — and there:
 * - each package README's example runs as printed (the ```ts/```js/```sh block under "## Example");
 * - `npx jiema serve --ephemeral --port 0 --json` starts, `npx jiema replay <scenario>` and
 *   `npx jiema buy … --wait` work against it;
 * - a strict TypeScript consumer importing every entry point type-checks with skipLibCheck: false;
 * - `require()` of every package works from CommonJS.
 * Run by `.ci/run` on every tested Node line (`pnpm test:outside`; it needs the build).
 * Its processes get a clean environment: nothing from this repository is on PATH or in NODE_PATH.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema } from '../../packages/core/test/postgres.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'simulator', 'sdk', 'cli', 'console'] as const;
/** The README section of core's test kit (docs/decisions.md D150). */
const KIT_HEADING = 'Testing your code against jiema';
const exec = promisify(execFile);
const rootPkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

const work = mkdtempSync(join(tmpdir(), 'jiema-outside-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) signal(c, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const NETWORK_AND_BUILD_ENV = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'npm_config_registry',
  'npm_config_nodedir',
];

/**
 * What a user's shell has: the Node running this test first on PATH, and nothing of this
 * repository (no node_modules/.bin, no npm_* variables from `pnpm run`, no vitest state).
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p && !p.startsWith(REPO) && !p.endsWith(join('node_modules', '.bin')) && !p.includes('node-gyp-bin'));
  const env: NodeJS.ProcessEnv = {
    PATH: [dirname(process.execPath), ...path].join(delimiter),
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? 'C.UTF-8',
    TMPDIR: tmpdir(),
    CI: 'true',
    NO_COLOR: '1',
  };
  // What the user's network needs (the official Node binaries trust only their own CA list, so a
  // proxy's CA comes through NODE_EXTRA_CA_CERTS), and the headers native addons compile against
  // for the Node under test (set by .ci/run).
  for (const name of NETWORK_AND_BUILD_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...extra };
}

async function run(
  cmd: string,
  args: string[],
  cwd: string,
  extra: Record<string, string> = {},
  timeout = 300_000,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, args, { cwd, env: cleanEnv(extra), timeout, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string; code?: unknown };
    throw new Error(`\`${cmd} ${args.join(' ')}\` in ${cwd} failed (${String(e.code)}):\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Starts a long-running command and resolves with it and the first stdout line `ready` accepts. */
function start(
  cmd: string,
  args: string[],
  cwd: string,
  ready: (line: string) => boolean,
  extra: Record<string, string> = {},
): Promise<{ child: ChildProcess; line: string; output: () => string }> {
  // Its own process group: npx runs the command as a child, and stopping it must stop both.
  const child = spawn(cmd, args, { cwd, env: cleanEnv(extra), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`\`${cmd} ${args.join(' ')}\` was not ready in 60 s:\n${out}\n${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find(ready);
      if (line !== undefined) {
        clearTimeout(timer);
        resolve({ child, line, output: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`\`${cmd} ${args.join(' ')}\` exited (${code}) before it was ready:\n${out}\n${err}`));
    });
  });
}

/** Signals the child's whole process group (npx and the command it runs). */
function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, sig);
  } catch {
    // Already gone.
  }
}

async function stop(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    signal(child, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  signal(child, 'SIGKILL');
}

/** The first ```lang block under the README's "## Example" heading (or another), exactly as printed. */
function readmeExample(pkg: (typeof PACKAGES)[number], lang: string, heading = 'Example'): string {
  const readme = readFileSync(join(REPO, 'packages', pkg, 'README.md'), 'utf8');
  const at = readme.search(new RegExp(`^## ${heading}`, 'm'));
  if (at < 0) throw new Error(`packages/${pkg}/README.md has no "## ${heading}" section`);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(readme.slice(at));
  if (!match) throw new Error(`packages/${pkg}/README.md has no \`\`\`${lang} block under "## ${heading}"`);
  return match[1]!;
}

interface Served {
  url: string;
  apiKey: string;
  adminToken: string;
  consoleUrl?: string;
}

async function api<T>(s: Served, path: string, init: { method?: string; body?: unknown; admin?: boolean } = {}): Promise<T> {
  const res = await fetch(`${s.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.admin ? s.adminToken : s.apiKey}`, 'content-type': 'application/json' },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const json = (await res.json()) as { ok: boolean; data: T };
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** Plays the phone's side for `buy --wait`: delivers an SMS through the control API to the next order that appears. */
async function deliverToNextOrder(s: Served, known: Set<string>): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const page = await api<{ items: { id: string; status: string }[] }>(s, '/api/v1/orders');
    const fresh = page.items.find((o) => !known.has(o.id) && o.status === 'WAITING');
    if (fresh) {
      const sms = await api<{ code: string }>(s, `/_sim/v1/orders/${fresh.id}/sms`, { method: 'POST', body: {}, admin: true });
      return sms.code;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no order appeared');
}

const tarballs: Record<string, string> = {};
/** Set for the installs: where better-sqlite3's install script finds its prebuilt binary. */
const installEnv: Record<string, string> = {};

/**
 * better-sqlite3 installs by downloading a prebuilt binary from GitHub, which this machine cannot
 * reach, and compiles from source when that fails (a minute per install). Its installer also looks
 * in a local folder first: the binary this repository's install built for the same version and
 * Node ABI is offered there, as the download would have been. With a different version the
 * installer still compiles.
 */
async function offerPrebuiltSqlite(): Promise<void> {
  const dir = dirname(createRequire(join(REPO, 'packages', 'core', 'package.json')).resolve('better-sqlite3/package.json'));
  const binary = join(dir, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binary)) return;
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  const prebuilds = join(work, 'prebuilds');
  mkdirSync(prebuilds);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['-czf', join(prebuilds, name), '-C', dir, 'build/Release/better_sqlite3.node'], dir);
  installEnv.npm_config_better_sqlite3_local_prebuilds = prebuilds;
}

beforeAll(async () => {
  const dest = join(work, 'tarballs');
  mkdirSync(dest);
  for (const pkg of PACKAGES) await run('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', dest], join(REPO, 'packages', pkg));
  for (const file of readdirSync(dest)) {
    const name = JSON.parse((await run('tar', ['-xzOf', join(dest, file), 'package/package.json'], dest)).stdout).name as string;
    tarballs[name] = join(dest, file);
  }
  expect(Object.keys(tarballs).sort()).toEqual(PACKAGES.map((p) => `@jiema/${p}`).sort());
  await offerPrebuiltSqlite();
}, 300_000);

describe.each(['npm', 'pnpm'] as const)('the packed packages installed with %s into an empty project', (pm) => {
  const dir = join(work, pm);

  beforeAll(async () => {
    mkdirSync(dir);
    const jiema = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
    const tools = {
      vitest: rootPkg.devDependencies.vitest!,
      typescript: rootPkg.devDependencies.typescript!,
      '@types/node': rootPkg.devDependencies['@types/node']!,
    };
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify(
        {
          name: `jiema-outside-${pm}`,
          private: true,
          type: 'module',
          dependencies: jiema,
          devDependencies: tools,
          // The tarballs stand in for the registry: the packages' dependencies on each other resolve to them.
          ...(pm === 'npm' ? { overrides: Object.fromEntries(Object.keys(jiema).map((n) => [n, `$${n}`])) } : {}),
          // pnpm 10 runs no install script it was not told to: better-sqlite3 compiles in its own.
          ...(pm === 'pnpm' ? { pnpm: { overrides: jiema, onlyBuiltDependencies: ['better-sqlite3', 'esbuild'] } } : {}),
        },
        null,
        2,
      ),
    );
    if (pm === 'npm') await run('npm', ['install', '--no-audit', '--no-fund'], dir, installEnv, 900_000);
    else await run('npx', ['-y', 'pnpm@10', 'install'], dir, installEnv, 900_000);
    // What a user keeps in their own repository: scenario files.
    cpSync(join(REPO, 'fixtures', 'scenarios'), join(dir, 'fixtures', 'scenarios'), { recursive: true });
  }, 900_000);

  it('gets the catalogue and the scenario schema inside the packages that read them', () => {
    expect(existsSync(join(dir, 'node_modules/@jiema/core/data/catalogue.json'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules/@jiema/cli/schemas/scenario.schema.json'))).toBe(true);
  });

  it('type-checks a strict consumer of every entry point, and the TypeScript README examples, with skipLibCheck: false', async () => {
    writeFileSync(join(dir, 'core-example.ts'), readmeExample('core', 'ts'));
    writeFileSync(join(dir, 'simulator.readme.test.ts'), readmeExample('simulator', 'ts'));
    writeFileSync(join(dir, 'core-kit.readme.test.ts'), readmeExample('core', 'ts', KIT_HEADING));
    writeFileSync(
      join(dir, 'consumer.ts'),
      [
        "import * as core from '@jiema/core';",
        "import * as testing from '@jiema/core/testing';",
        "import * as testServer from '@jiema/core/testing/server';",
        "import * as simulatorTesting from '@jiema/simulator/testing';",
        "import * as simulator from '@jiema/simulator';",
        "import * as sdk from '@jiema/sdk';",
        "import * as cli from '@jiema/cli';",
        "import * as consoleUi from '@jiema/console';",
        'const client: sdk.JiemaClient = new sdk.JiemaClient({ apiKey: "jm_0123456789abcdef" });',
        'const start: typeof simulator.startSimulator = simulator.startSimulator;',
        'const engine: typeof core.createEngine = core.createEngine;',
        'const kit: typeof testServer.startTestServer = testing.startTestServer;',
        'export const used = [client, start, engine, testing, kit, simulatorTesting.useSimulator, cli, consoleUi];',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023'],
          types: ['node'],
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          outDir: 'out',
          rootDir: '.',
        },
        include: ['consumer.ts', 'core-example.ts', 'simulator.readme.test.ts', 'core-kit.readme.test.ts'],
      }),
    );
    await run('npx', ['tsc', '-p', '.'], dir);
    expect(existsSync(join(dir, 'out', 'core-example.js'))).toBe(true);
  }, 300_000);

  it("runs @jiema/core's README example", async () => {
    const file = join(dir, 'out', 'core-example.js');
    if (!existsSync(file)) await run('npx', ['tsc', '-p', '.'], dir);
    const { child, line } = await start('node', [file], dir, (l) => l.startsWith('curl '), { PORT: '0' });
    try {
      const [, key, url] = /Bearer (\S+)' (\S+)$/.exec(line.trim())!;
      const res = await fetch(url!, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, data: { balanceCents: '1200' } });
    } finally {
      await stop(child);
    }
  }, 120_000);

  it("runs @jiema/simulator's README example (a vitest file)", async () => {
    writeFileSync(join(dir, 'simulator.readme.test.ts'), readmeExample('simulator', 'ts'));
    const { stdout } = await run('npx', ['vitest', 'run', 'simulator.readme.test.ts'], dir);
    expect(stdout).toMatch(/1 passed/);
  }, 300_000);

  it("runs @jiema/core's test kit example (a vitest file)", async () => {
    writeFileSync(join(dir, 'core-kit.readme.test.ts'), readmeExample('core', 'ts', KIT_HEADING));
    const { stdout } = await run('npx', ['vitest', 'run', 'core-kit.readme.test.ts'], dir);
    expect(stdout).toMatch(/1 passed/);
  }, 300_000);

  it('runs the engine on PostgreSQL from the installed packages, from ESM and from CommonJS (docs/decisions.md D127)', async () => {
    const schema = await createTestSchema();
    try {
      const body = (imp: string) => `${imp}
const fixture = loadCatalogueFixture();
const upstream = new MemoryUpstream({
  clock: systemClock,
  catalogue: { countries: fixture.countries.map((c) => ({ id: c.id, name: c.name })), services: fixture.services.map((s) => ({ code: s.code, name: s.name })), offers: fixture.offers },
});
const engine = createEngine({ upstream, db: process.env.JIEMA_DB });
const user = engine.accounts.createUser({ displayName: 'Outside', balanceCents: 700 });
console.log(engine.stores.dialect, engine.accounts.requireUser(user.id).balanceCents);
engine.close();
`;
      writeFileSync(
        join(dir, 'postgres-engine.mjs'),
        body("import { createEngine, loadCatalogueFixture, MemoryUpstream, systemClock } from '@jiema/core';"),
      );
      writeFileSync(
        join(dir, 'postgres-engine.cjs'),
        body("const { createEngine, loadCatalogueFixture, MemoryUpstream, systemClock } = require('@jiema/core');"),
      );
      for (const file of ['postgres-engine.mjs', 'postgres-engine.cjs']) {
        const { stdout } = await run('node', [file], dir, { JIEMA_DB: schema.url });
        expect(stdout.trim()).toBe('postgres 700');
      }
      const users = await schema.client.query<{ n: string }>('SELECT COUNT(*) AS n FROM users');
      expect(Number(users.rows[0]!.n)).toBe(2);
    } finally {
      await schema.drop();
    }
  }, 120_000);

  it('requires every package from CommonJS', async () => {
    const script =
      PACKAGES.map((p) => `require('@jiema/${p}')`).join(';') +
      ";console.log(typeof require('@jiema/simulator').startSimulator, typeof require('@jiema/core/testing/server').startTestServer)";
    writeFileSync(join(dir, 'require-all.cjs'), script);
    const { stdout } = await run('node', ['require-all.cjs'], dir);
    expect(stdout.trim()).toBe('function function');
  }, 120_000);

  describe('`npx jiema serve --ephemeral --port 0 --json`', () => {
    let served: Served;
    let child: ChildProcess;
    beforeAll(async () => {
      const s = await start('npx', ['jiema', 'serve', '--ephemeral', '--port', '0', '--json'], dir, (l) => l.startsWith('{'));
      child = s.child;
      served = JSON.parse(s.line) as Served;
    }, 120_000);
    afterAll(() => stop(child));

    it('prints the ready line and serves the API, its reference and the console', async () => {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await api<{ balanceCents: string }>(served, '/api/v1/account')).toMatchObject({ balanceCents: '1000' });
      expect((await fetch(`${served.url}/docs`)).status).toBe(200);
      const page = await fetch(`${served.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script');
    });

    it('`npx jiema replay <scenario>` runs a scenario against it', async () => {
      const { stdout } = await run(
        'npx',
        ['jiema', 'replay', 'fixtures/scenarios/cancel-refund.yaml', '--target', served.url, '--admin-token', served.adminToken],
        dir,
      );
      expect(stdout).toMatch(/1 passed, 0 failed/);
    }, 120_000);

    it('`npx jiema replay <scenario>` runs a scenario on its own in-process simulator', async () => {
      const { stdout } = await run('npx', ['jiema', 'replay', 'fixtures/scenarios/happy-path.yaml'], dir);
      expect(stdout).toMatch(/1 passed, 0 failed/);
    }, 120_000);

    it('`npx jiema buy telegram my --wait` prints the code the phone received', async () => {
      const known = new Set((await api<{ items: { id: string }[] }>(served, '/api/v1/orders')).items.map((o) => o.id));
      const env = { JIEMA_BASE_URL: served.url, JIEMA_API_KEY: served.apiKey };
      const [buy, code] = await Promise.all([
        run('npx', ['jiema', 'buy', 'telegram', 'my', '--wait'], dir, env),
        deliverToNextOrder(served, known),
      ]);
      expect(buy.stdout).toContain(code);
    }, 120_000);

    it("runs @jiema/sdk's README example against it", async () => {
      const file = join(dir, 'verify.mjs');
      writeFileSync(file, readmeExample('sdk', 'js'));
      const known = new Set((await api<{ items: { id: string }[] }>(served, '/api/v1/orders')).items.map((o) => o.id));
      const example = run('node', [file], dir, { JIEMA_BASE_URL: served.url, JIEMA_API_KEY: served.apiKey });
      const code = await deliverToNextOrder(served, known);
      // The second code: delivered once the example has asked for the next SMS.
      const second = (async () => {
        for (let i = 0; i < 300; i++) {
          const orders = await api<{ items: { id: string; status: string; smsHistory: unknown[] }[] }>(served, '/api/v1/orders');
          const o = orders.items.find((x) => !known.has(x.id));
          if (o?.status === 'WAITING' && o.smsHistory.length === 1)
            return api(served, `/_sim/v1/orders/${o.id}/sms`, { method: 'POST', body: {}, admin: true });
          await new Promise((r) => setTimeout(r, 200));
        }
        return undefined;
      })();
      const [{ stdout }] = await Promise.all([example, second]);
      expect(stdout).toContain(`first code: ${code}`);
      expect(stdout).toMatch(/second code: \d+/);
      expect(stdout).toMatch(/status: RECEIVED, 2 SMS/);
    }, 180_000);
  });

  it("runs @jiema/cli's README example (JIEMA_PORT=0 instead of 8787; the key and URL it printed)", async () => {
    const lines = readmeExample('cli', 'sh')
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter(Boolean);
    expect(lines[0]).toBe('jiema serve');
    const project = join(work, `${pm}-cli-example`);
    mkdirSync(project);
    cpSync(join(dir, 'fixtures'), join(project, 'fixtures'), { recursive: true });
    const bin = join(dir, 'node_modules', '.bin');
    const server = await start(join(bin, 'jiema'), ['serve'], project, (l) => l.includes('ready at'), { JIEMA_PORT: '0' });
    try {
      const url = /ready at (\S+)/.exec(server.line)![1]!;
      const creds = JSON.parse(readFileSync(join(project, '.jiema', 'jiema.credentials.json'), 'utf8')) as {
        apiKey: string;
        adminToken: string;
      };
      const served: Served = { url, apiKey: creds.apiKey, adminToken: creds.adminToken };
      const script = lines
        .slice(1)
        .map((l) => l.replaceAll('http://127.0.0.1:8787', url).replaceAll('jm_…', creds.apiKey))
        .join('\n');
      const [{ stdout }, code] = await Promise.all([
        run('bash', ['-euo', 'pipefail', '-c', script], project, { PATH: `${bin}${delimiter}${cleanEnv().PATH}` }),
        deliverToNextOrder(served, new Set()),
      ]);
      expect(stdout).toContain('1000 cents');
      expect(stdout).toContain(code);
      expect(stdout).toMatch(/passed, 0 failed/);
    } finally {
      await stop(server.child);
    }
  }, 300_000);

  it("runs @jiema/console's README example and serves the console it prints", async () => {
    const cmd = readmeExample('console', 'sh')
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l && !l.startsWith('#'))[0]!;
    const [tool, ...args] = cmd.split(/\s+/);
    // In the project where it is installed: npx finds the local bin there.
    const server = await start(tool!, args, dir, (l) => l.includes('console:'), {
      JIEMA_PORT: '0',
      PATH: `${join(dir, 'node_modules', '.bin')}${delimiter}${cleanEnv().PATH}`,
    });
    try {
      const consoleUrl = /console:\s+(\S+)/.exec(server.line)![1]!.split('#')[0]!;
      const res = await fetch(consoleUrl);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<script');
    } finally {
      await stop(server.child);
    }
  }, 120_000);
});
