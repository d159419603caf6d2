/**
 * How the CLI talks to people and scripts: tables and plain lines for people, one JSON document
 * with --json, errors as one clear line, and documented exit codes.
 */

/** Exit codes, documented in the CLI README and in `jiema --help`. */
export const EXIT = {
  OK: 0,
  /** The command ran and the answer was a failure: an API error, a failed scenario. */
  FAILED: 1,
  /** Bad usage: an unknown flag, a missing argument, an invalid input file. */
  USAGE: 2,
  /** The server could not be reached, or could not be started (port in use). */
  UNREACHABLE: 3,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
    readonly details?: unknown,
    /** Already told (a report was printed): exit with the code, print nothing more. */
    readonly quiet = false,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface Output {
  json: boolean;
  line(text: string): void;
  error(text: string): void;
  data(value: unknown, human: () => void): void;
}

export function createOutput(
  json: boolean,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Output {
  return {
    json,
    line: (text) => {
      out.write(`${text}\n`);
    },
    error: (text) => {
      err.write(`${text}\n`);
    },
    data(value, human) {
      if (json) out.write(`${JSON.stringify(value)}\n`);
      else human();
    },
  };
}

/** A plain text table: a header row, then aligned columns. */
export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => format(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const render = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [render(columns.map((c) => c.toUpperCase())), ...cells.map(render)].join('\n');
}

function format(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Cents as dollars for people: "1200" → "$12.00". */
export function dollars(cents: string | number): string {
  const n = Number(cents);
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  return `${sign}$${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
