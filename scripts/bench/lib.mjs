// Shared helpers for the benchmark scripts: child processes with a JSON ready line, the load
// driver, RSS and CPU time from /proc, medians and percentiles.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HERE = fileURLToPath(new URL('.', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Starts `node <script> …args`, resolves with its first stdout line parsed as JSON plus the process. */
export function startProcess(script, args = [], nodeArgs = [], { ipc = false } = {}) {
  return new Promise((resolve, reject) => {
    const stdio = ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])];
    const proc = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: REPO, stdio });
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

/** Runs `node <script> '<json options>'` to its end and returns the JSON line it printed. */
export async function runOnce(script, options) {
  const child = await startProcess(script, [JSON.stringify(options)]);
  await new Promise((r) => (child.proc.exitCode !== null ? r() : child.proc.once('close', r)));
  const { proc: _proc, readyMs: _readyMs, stderr: _stderr, ...result } = child;
  return result;
}

/** Runs the autocannon driver in its own process and returns its result. */
export function drive(options) {
  return runOnce(`${HERE}drive.mjs`, options);
}

/**
 * A figure beside its baseline, measured in turns: `rounds` times the baseline then the subject,
 * `seconds` each, both servers already running. On a shared machine the speed drifts by half
 * within a minute; one run of each, a minute apart, compared two different machines. Returns the
 * median round (by ratio) and every round's ratio.
 */
export async function alternate(baseline, subject, { rounds, seconds }) {
  await drive({ ...baseline, duration: 1 }); // warm-up
  await drive({ ...subject, duration: 1 });
  const turns = [];
  for (let i = 0; i < rounds; i++) {
    const b = await drive({ ...baseline, duration: seconds });
    const s = await drive({ ...subject, duration: seconds });
    turns.push({ baseline: b, subject: s, ratio: s.rps / b.rps });
  }
  const sorted = [...turns].sort((x, y) => x.ratio - y.ratio);
  const mid = sorted[Math.floor(sorted.length / 2)];
  return { ...mid, ratios: turns.map((t) => t.ratio) };
}

/** Resident set size of a process, in MB (Linux). */
export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node runs on

/** CPU time a process has used so far (user + system), in ms, from /proc/<pid>/stat (Linux). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND; // utime, stime
}

/** The next message a child started with `{ ipc: true }` sends that satisfies `test`. */
export function nextMessage(proc, test = () => true) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (!test(m)) return;
      proc.off('message', onMessage);
      proc.off('close', onClose);
      resolve(m);
    };
    const onClose = (code) => reject(new Error(`the child exited (${code}) before answering`));
    proc.on('message', onMessage);
    proc.once('close', onClose);
  });
}

/** The p-th percentile (0–100) of the values, nearest rank, rounded to 0.1. */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] * 10) / 10;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
