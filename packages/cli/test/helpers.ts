/**
 * Runs the real `jiema` binary as a child process, and starts `jiema serve` in the background
 * for tests to talk to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usePerTest } from '@jiema/core/testing';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What the test run itself sets: response validation (docs/decisions.md D85) reaches every child. */
const KEPT = new Set(['JIEMA_VALIDATE_RESPONSES', 'JIEMA_RESPONSE_VIOLATIONS_DIR']);

/** A clean environment: no JIEMA_* from the developer's shell leaks into a test. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('JIEMA_') || KEPT.has(k)) env[k] = v;
  return { ...env, ...extra };
}

export function jiema(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, env: cleanEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export interface Served {
  proc: ChildProcess;
  facadeUrl?: string;
  facadeKey?: string;
  url: string;
  apiKey: string | null;
  /** Only on the start that generated it (simulator); later starts give credentialsFile. */
  adminToken: string;
  credentialsFile?: string;
  userId: string;
  output: () => { stdout: string; stderr: string };
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `jiema serve --json …` and waits for its ready line. */
export function serve(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'serve', '--json', '--port', '0', ...args], {
      cwd: options.cwd ?? REPO,
      env: cleanEnv(options.env),
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
    const timer = setTimeout(() => reject(new Error(`serve did not get ready: ${stderr}`)), 20_000);
    proc.stderr.on('data', (d) => (stderr += d));
    proc.stdout.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) {
        clearTimeout(timer);
        try {
          const ready = JSON.parse(line) as {
            url: string;
            apiKey: string | null;
            adminToken: string;
            credentialsFile?: string;
            userId: string;
            facadeUrl?: string;
            facadeKey?: string;
          };
          resolve({
            proc,
            ...ready,
            output: () => ({ stdout, stderr }),
            stop: (signal = 'SIGTERM') => {
              proc.kill(signal);
              return exited;
            },
          });
        } catch (err) {
          reject(err);
        }
      }
    });
    proc.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before it was ready: ${stderr}${stdout}`));
    });
  });
}

/**
 * The arguments of a production-style `jiema serve` on `db` with the SMS-Activate adapter against
 * `upstreamUrl` (a simulator's facade), reconciling after 1 s, with the operator's admin token.
 */
export function adapterServeArgs(upstreamUrl: string, facadeKey: string, db: string, adminToken: string): string[] {
  return [
    '--upstream',
    'sms-activate',
    '--upstream-url',
    upstreamUrl,
    '--upstream-key',
    facadeKey,
    '--db',
    db,
    '--reconcile-after-ms',
    '1000',
    '--admin-token',
    adminToken,
  ];
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'jiema-cli-'));
}

export async function api(url: string, path: string, init: { key?: string; admin?: string; method?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.admin) headers['x-admin-token'] = init.admin;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Polls `fn` until it gives a value, or fails after `ms`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `jiema serve --json …` started once before the tests of the file (or describe block) and stopped after them. */
export function useServe(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Served {
  return usePerTest(
    () => serve(args, options),
    async (s) => void (await s.stop()),
    { per: 'file' },
  );
}
