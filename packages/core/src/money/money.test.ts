import { describe, expect, it } from 'vitest';
import { centsToWire, formatMicros, parseCents, parseDecimalMicros } from './money.js';

describe('money', () => {
  it('parses upstream decimal costs into exact micro-units', () => {
    expect(parseDecimalMicros('0.2133')).toBe(213_300n);
    expect(parseDecimalMicros('12')).toBe(12_000_000n);
    expect(parseDecimalMicros('0.0067')).toBe(6_700n);
    expect(parseDecimalMicros(' 1.5 ')).toBe(1_500_000n);
  });

  it('refuses negative, exponent and over-precise costs', () => {
    for (const bad of ['-1', '1e3', '0.1234567', 'abc', '', '1.', '.5']) expect(() => parseDecimalMicros(bad)).toThrow(RangeError);
  });

  it('formats micro-units without trailing zeros', () => {
    expect(formatMicros(213_300n)).toBe('0.2133');
    expect(formatMicros(12_000_000n)).toBe('12');
  });

  it('puts cents on the wire as integer strings and reads them back from either form', () => {
    expect(centsToWire(1200)).toBe('1200');
    expect(() => centsToWire(1.5)).toThrow(RangeError);
    expect(parseCents('1200')).toBe(1200);
    expect(parseCents(-5)).toBe(-5);
    expect(parseCents('-5')).toBe(-5);
    expect(parseCents('12.5')).toBeUndefined();
    expect(parseCents(12.5)).toBeUndefined();
    expect(parseCents('1e3')).toBeUndefined();
    expect(parseCents(2 ** 60)).toBeUndefined();
  });
});
