import { describe, expect, it } from 'vitest';
import { assertTimeZone, decimalFromWire, messageKey, parseWallTime, phoneFromWire } from './wire-values.js';

describe('wire values', () => {
  it('reads amounts given as numbers or strings as plain decimals of at most 6 places', () => {
    expect(decimalFromWire(0.2133)).toBe('0.2133');
    expect(decimalFromWire(12)).toBe('12');
    expect(decimalFromWire('17.154')).toBe('17.154');
    expect(decimalFromWire(' 0.0067 ')).toBe('0.0067');
    expect(decimalFromWire(1e-7)).toBe('0');
    expect(decimalFromWire('0.12345678')).toBe('0.123457');
    expect(decimalFromWire(-1)).toBeUndefined();
    expect(decimalFromWire('1,5')).toBeUndefined();
    expect(decimalFromWire(null)).toBeUndefined();
  });

  it('keeps only the digits of a phone, with or without +', () => {
    expect(phoneFromWire('+60123456789')).toBe('60123456789');
    expect(phoneFromWire(79001234567)).toBe('79001234567');
    expect(phoneFromWire('79584******')).toBeUndefined();
  });

  it('reads zone-less times in UTC, a fixed offset or an IANA zone, and the placeholder as null', () => {
    expect(parseWallTime('2026-01-01 00:00:05', 'UTC')).toBe(Date.UTC(2026, 0, 1, 0, 0, 5));
    expect(parseWallTime('2026-01-01 03:00:00', '+03:00')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0));
    expect(parseWallTime('2026-01-01 03:00:00', 'Europe/Moscow')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0));
    expect(parseWallTime('2026-07-01 02:00:00', 'Europe/London')).toBe(Date.UTC(2026, 6, 1, 1, 0, 0));
    expect(parseWallTime('0000-00-00 00:00:00', 'UTC')).toBeNull();
    expect(parseWallTime('yesterday', 'UTC')).toBeNull();
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(RangeError);
  });

  it('gives the same message the same key, and different messages different keys', () => {
    expect(messageKey('1', '2026-01-01 00:00:05', 'code 1')).toBe(messageKey('1', '2026-01-01 00:00:05', 'code 1'));
    expect(messageKey('1', '2026-01-01 00:00:05', 'code 1')).not.toBe(messageKey('1', '2026-01-01 00:00:06', 'code 1'));
    expect(messageKey('1', 'a', 'b')).not.toBe(messageKey('2', 'a', 'b'));
  });
});
