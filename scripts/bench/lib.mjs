// Shared helpers for the benchmark scripts: child processes with a JSON ready line, the load
// driver, RSS from /proc, and medians.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HERE = fileURLToPath(new URL('.', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Starts `node <script> …args`, resolves with its first stdout line parsed as JSON plus the process. */
export function startProcess(script, args = [], nodeArgs = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const started = performance.now();
    proc.stderr.on('data', (d) => (err += d));
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0 && !proc.ready) {
        proc.ready = true;
        try {
          resolve({ ...JSON.parse(out.slice(0, nl)), proc, readyMs: performance.now() - started, stderr: () => err });
        } catch (e) {
          reject(new Error(`${script}: bad ready line ${out.slice(0, nl)}: ${e.message}`));
        }
      }
    });
    proc.on('close', (code) => {
      if (!proc.ready) reject(new Error(`${script} exited with ${code}: ${err}`));
    });
  });
}

export function stop(proc, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    proc.once('close', resolve);
    proc.kill(signal);
  });
}

/** Runs the autocannon driver in its own process and returns its result. */
export async function drive(options) {
  const child = await startProcess(`${HERE}drive.mjs`, [JSON.stringify(options)]);
  await new Promise((r) => (child.proc.exitCode !== null ? r() : child.proc.once('close', r)));
  const { proc: _proc, readyMs: _readyMs, stderr: _stderr, ...result } = child;
  return result;
}

/** Resident set size of a process, in MB (Linux). */
export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
