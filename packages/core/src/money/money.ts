/**
 * Money (docs/decisions.md D3): integer cents inside, decimal strings on the wire. Upstream costs
 * arrive as decimal strings in the upstream's unit and are converted exactly with bigint
 * arithmetic; nothing here ever touches a float.
 */

/** Micro-units: 1 unit = 1,000,000 micros. Enough for the 4-decimal prices upstreams quote. */
export const MICROS = 1_000_000n;

const DECIMAL = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

/** Parses a non-negative decimal string ("0.2133", "12", "1.5") into micro-units. */
export function parseDecimalMicros(text: string): bigint {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new RangeError(`not a non-negative decimal with at most 6 places: ${JSON.stringify(text)}`);
  const whole = BigInt(m[1]!);
  const frac = BigInt((m[2] ?? '').padEnd(6, '0'));
  return whole * MICROS + frac;
}

/** Formats micro-units as a plain decimal string with no trailing zeros ("0.2133"). */
export function formatMicros(micros: bigint): string {
  const whole = micros / MICROS;
  const frac = (micros % MICROS).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole.toString();
}

/** The wire form of a cents amount: a decimal string of an integer. */
export function centsToWire(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`cents must be a safe integer, got ${cents}`);
  return String(cents);
}

const CENTS_TEXT = /^-?\d{1,15}$/;

/** Reads cents given as an integer number or an integer string; undefined when it is neither. */
export function parseCents(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && CENTS_TEXT.test(value)) return Number(value);
  return undefined;
}

/** Ceil division for non-negative bigints. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
