/**
 * How the console writes money, times and codes for people. Pure functions: the unit tests run
 * them in Node.
 */

/** "1234" (cents, as the API sends them) → "$12.34". */
export function dollars(cents: string | number): string {
  const n = typeof cents === 'number' ? cents : Number(cents);
  if (!Number.isFinite(n)) return '—';
  const sign = n < 0 ? '−' : '';
  const abs = Math.abs(Math.trunc(n));
  return `${sign}$${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

/** "12.5" or "12" (dollars typed by a person) → cents, or undefined when it is not an amount. */
export function parseDollars(text: string): number | undefined {
  const m = /^\s*\$?\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** A short age: "12 s", "4 min", "3 h", "2 d". */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** Time left as "19:58", or "ended". */
export function remaining(ms: number): string {
  if (ms <= 0) return 'ended';
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** "2026-12-01T10:00:03.000Z" → "10:00:03" (UTC, as the server's clock). */
export function clockTime(iso: string): string {
  return iso.slice(11, 19);
}

/** "2026-12-01T10:00:03.000Z" → "2026-12-01 10:00:03". */
export function dateTime(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '—';
}

export interface TextPart {
  text: string;
  code: boolean;
}

/**
 * Splits an SMS so its code can be highlighted: the first place the code's digits appear, even
 * written "123-456" or "123 456" (as the server's extractor reads them).
 */
export function splitCode(body: string, code: string | null): TextPart[] {
  if (!code) return [{ text: body, code: false }];
  const pattern = new RegExp(
    code
      .split('')
      .map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[ -]?'),
  );
  const m = pattern.exec(body);
  if (!m) return [{ text: body, code: false }];
  const parts: TextPart[] = [];
  if (m.index > 0) parts.push({ text: body.slice(0, m.index), code: false });
  parts.push({ text: m[0], code: true });
  if (m.index + m[0].length < body.length) parts.push({ text: body.slice(m.index + m[0].length), code: false });
  return parts;
}

/** "+60123456789" → "+60 123 456 789" for reading; copying uses the original. */
export function spacedPhone(phone: string): string {
  const digits = phone.replace(/^\+/, '');
  return `+${digits.slice(0, 2)} ${digits.slice(2).replace(/(\d{3})(?=\d)/g, '$1 ')}`;
}
