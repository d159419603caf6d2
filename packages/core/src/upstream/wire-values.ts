/**
 * Reading the loose values upstreams send, the same way for every vendor: amounts as numbers
 * or strings, phone numbers with or without '+', wall-clock times without a zone, and the
 * stable key a message gets from what the upstream shows of it.
 */
import { createHash } from 'node:crypto';

/** A non-negative amount (number or string) as a plain decimal string with at most 6 places; undefined when unreadable. */
export function decimalFromWire(value: unknown): string | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) {
    const text = value.trim();
    if (!/\.\d{7,}$/.test(text)) return text.replace(/^0+(?=\d)/, '');
    n = Number(text);
  } else return undefined;
  if (!Number.isFinite(n) || n < 0) return undefined;
  return n.toFixed(6).replace(/\.?0+$/, '');
}

/** A count (number or numeric string) as a non-negative integer; 0 when unreadable. */
export function countFromWire(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
}

/** Digits only, as the port wants (`+60 12-345` → `6012345`); undefined unless 6–15 digits remain. */
export function phoneFromWire(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const digits = String(value).replace(/\D/g, '');
  return /^\d{6,15}$/.test(digits) ? digits : undefined;
}

/** An id (number or string) as a string; undefined when empty or not a scalar. */
export function idFromWire(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const FIXED_OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

/** Throws a RangeError unless `zone` is "UTC", a fixed offset ("+03:00") or an IANA zone ("Europe/Moscow"). */
export function assertTimeZone(zone: string): void {
  if (zone === 'UTC' || zone === 'Z' || FIXED_OFFSET.test(zone)) return;
  new Intl.DateTimeFormat('en-US', { timeZone: zone });
}

/** The zone's offset from UTC (ms) at the instant `utcMs`. */
function offsetMs(zone: string, utcMs: number): number {
  if (zone === 'UTC' || zone === 'Z') return 0;
  const fixed = FIXED_OFFSET.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(utcMs);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(utcMs / 1000) * 1000;
}

/**
 * "YYYY-MM-DD HH:MM:SS" read as wall-clock time in `zone` (ms since the epoch). Null for the
 * protocol's "0000-00-00 00:00:00" placeholder and for anything else it cannot read.
 */
export function parseWallTime(text: unknown, zone: string): number | null {
  const m = typeof text === 'string' ? WALL_TIME.exec(text.trim()) : null;
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (y === 0 || mo === 0 || d === 0) return null;
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  // Twice: the offset at the guessed instant can differ across a DST change.
  const guess = asUtc - offsetMs(zone, asUtc);
  return asUtc - offsetMs(zone, guess);
}

/** The instant `utcMs` as "YYYY-MM-DD HH:MM:SS" wall-clock time in `zone` (the inverse of parseWallTime). */
export function formatWallTime(utcMs: number, zone: string): string {
  return new Date(utcMs + offsetMs(zone, utcMs)).toISOString().slice(0, 19).replace('T', ' ');
}

/** A message key from the activation and what the upstream shows of the message: equal inputs, equal keys. */
export function messageKey(activationId: string, ...parts: string[]): string {
  return `${activationId}-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)}`;
}
