/**
 * How replay results are told: "pretty" for people (progress as it goes), "json", "junit" (CI
 * dashboards) and "tap". Each gets every step as it finishes and the whole run at the end.
 */
import type { ScenarioResult, StepResult } from './runner.js';

export const REPORTERS = ['pretty', 'json', 'junit', 'tap'] as const;
export type ReporterName = (typeof REPORTERS)[number];

export interface Reporter {
  scenarioStart(name: string, file: string, index: number, total: number): void;
  step(r: StepResult): void;
  scenarioEnd(r: ScenarioResult): void;
  end(results: ScenarioResult[]): void;
}

const ms = (n: number) => `${Math.round(n)} ms`;

export function createReporter(name: ReporterName, write: (text: string) => void): Reporter {
  switch (name) {
    case 'pretty':
      return {
        scenarioStart: (n, file, i, total) => write(`[${i + 1}/${total}] ${n}  (${file})\n`),
        step: (r) => {
          const mark = r.status === 'passed' ? '✓' : r.status === 'failed' ? '✗' : '-';
          write(
            `    ${mark} ${r.name}${r.status === 'passed' ? ` (${ms(r.ms)})` : ''}${r.status === 'skipped' ? ` — skipped: ${r.message}` : ''}\n`,
          );
          if (r.status === 'failed') {
            if (r.at) write(`        at ${r.at}\n`);
            for (const line of (r.message ?? '').split('\n')) write(`        ${line}\n`);
          }
        },
        scenarioEnd: (r) => {
          if (r.error) write(`    ✗ ${r.error}\n`);
          write(`  ${r.status === 'passed' ? 'PASS' : 'FAIL'} ${r.name} in ${ms(r.ms)}\n\n`);
        },
        end: (results) => {
          const passed = results.filter((r) => r.status === 'passed').length;
          const steps = results.flatMap((r) => r.steps);
          const skipped = steps.filter((s) => s.status === 'skipped').length;
          write(
            `${results.length} scenario(s): ${passed} passed, ${results.length - passed} failed · ${steps.length} step(s), ${skipped} skipped\n`,
          );
        },
      };
    case 'json':
      return {
        scenarioStart: () => {},
        step: () => {},
        scenarioEnd: () => {},
        end: (results) => {
          const passed = results.filter((r) => r.status === 'passed').length;
          write(`${JSON.stringify({ ok: passed === results.length, passed, failed: results.length - passed, scenarios: results })}\n`);
        },
      };
    case 'junit':
      return {
        scenarioStart: () => {},
        step: () => {},
        scenarioEnd: () => {},
        end: (results) => write(junit(results)),
      };
    case 'tap': {
      let n = 0;
      return {
        scenarioStart: (_name, _file, i, total) => {
          if (i === 0) write(`TAP version 14\n1..${total}\n`);
        },
        step: () => {},
        scenarioEnd: (r) => {
          n += 1;
          write(`${r.status === 'passed' ? 'ok' : 'not ok'} ${n} - ${r.name.replace(/#/g, '\\#')}\n`);
          if (r.status === 'failed') {
            const failed = r.steps.find((s) => s.status === 'failed');
            write(
              `  ---\n  file: ${JSON.stringify(r.file)}\n${failed?.line !== undefined ? `  line: ${failed.line}\n  at: ${JSON.stringify(failed.at)}\n` : ''}  step: ${JSON.stringify(failed?.name ?? 'setup')}\n  message: ${JSON.stringify(failed?.message ?? r.error ?? '')}\n  ...\n`,
            );
          }
        },
        end: (results) => {
          if (results.length === 0) write('TAP version 14\n1..0\n');
        },
      };
    }
  }
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function junit(results: ScenarioResult[]): string {
  const suites = results.map((r) => {
    const failures = r.steps.filter((s) => s.status === 'failed').length + (r.error ? 1 : 0);
    const skipped = r.steps.filter((s) => s.status === 'skipped').length;
    const cases = r.steps.map((s) => {
      const inner =
        s.status === 'failed'
          ? `<failure message="${xml((s.message ?? '').split('\n')[0]!)}">${xml(`${s.at ? `${s.at}: ` : ''}${s.message ?? ''}`)}</failure>`
          : s.status === 'skipped'
            ? `<skipped message="${xml(s.message ?? '')}"/>`
            : '';
      const line = s.line !== undefined ? ` line="${s.line}"` : '';
      return `    <testcase classname="${xml(r.name)}" name="${xml(`${s.index + 1}. ${s.name}`)}" file="${xml(r.file)}"${line} time="${(s.ms / 1000).toFixed(3)}">${inner}</testcase>`;
    });
    if (r.error) {
      const line = /:(\d+):\d+: /.exec(r.error)?.[1];
      cases.unshift(
        `    <testcase classname="${xml(r.name)}" name="setup" file="${xml(r.file)}"${line ? ` line="${line}"` : ''} time="0"><failure message="${xml(r.error)}"/></testcase>`,
      );
    }
    return `  <testsuite name="${xml(r.name)}" file="${xml(r.file)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${(r.ms / 1000).toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const failures = results.filter((r) => r.status === 'failed').length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="jiema replay" tests="${results.length}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}
