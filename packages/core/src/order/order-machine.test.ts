import { describe, expect, it } from 'vitest';
import type { AppError } from '../errors/app-error.js';
import type { Order, OrderStatus } from './order.js';
import { applyEvent, type OrderEvent } from './order-machine.js';

const base: Order = {
  id: 'ck1',
  userId: 'cl1',
  status: 'WAITING',
  service: 'tg',
  country: 7,
  phone: '+60123',
  activationId: 'a1',
  chargedCents: 32,
  expiresAt: 1_000,
  createdAt: 0,
  updatedAt: 0,
  smsHistory: [],
  endReason: null,
};
const sms = { key: 'm1', body: 'code 12345', code: '12345', receivedAt: 10 };
const withSms = (status: OrderStatus): Order => ({ ...base, status, smsHistory: [sms] });
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as AppError).code;
  }
  return undefined;
};

describe('applyEvent', () => {
  it('moves WAITING to RECEIVED on an SMS and records it', () => {
    const t = applyEvent(base, { type: 'SMS_RECEIVED', sms }, 5);
    expect(t.order.status).toBe('RECEIVED');
    expect(t.order.smsHistory).toEqual([sms]);
    expect(t.ledger).toEqual([]);
  });

  it('ignores the same SMS seen twice', () => {
    const t = applyEvent(withSms('RECEIVED'), { type: 'SMS_RECEIVED', sms }, 5);
    expect(t.changed).toBe(false);
  });

  it('refunds in full when cancelled before any SMS, and owes the upstream a cancel', () => {
    const t = applyEvent(base, { type: 'CANCEL' }, 5);
    expect(t.order.status).toBe('CANCELLED');
    expect(t.ledger).toEqual([{ kind: 'refund', amountCents: 32 }]);
    expect(t.commands).toEqual(['cancel']);
  });

  it('refuses to cancel after any SMS with CODE_RECEIVED, also back in WAITING after next-sms', () => {
    expect(codeOf(() => applyEvent(withSms('RECEIVED'), { type: 'CANCEL' }, 5))).toBe('CODE_RECEIVED');
    expect(codeOf(() => applyEvent(withSms('WAITING'), { type: 'CANCEL' }, 5))).toBe('CODE_RECEIVED');
  });

  it('answers ALREADY_CHANGED to a cancel of a terminal order and BAD_STATUS to next-sms outside RECEIVED', () => {
    for (const s of ['CANCELLED', 'FAILED', 'COMPLETED'] as const) {
      expect(codeOf(() => applyEvent({ ...base, status: s }, { type: 'CANCEL' }, 5))).toBe('ALREADY_CHANGED');
      expect(codeOf(() => applyEvent({ ...base, status: s }, { type: 'NEXT_SMS' }, 5))).toBe('BAD_STATUS');
    }
    expect(codeOf(() => applyEvent(base, { type: 'NEXT_SMS' }, 5))).toBe('BAD_STATUS');
  });

  it('goes back to WAITING on next-sms and owes the upstream setStatus 3', () => {
    const t = applyEvent(withSms('RECEIVED'), { type: 'NEXT_SMS' }, 5);
    expect(t.order.status).toBe('WAITING');
    expect(t.commands).toEqual(['next_sms']);
  });

  it('fails with a refund at expiry without SMS, completes without one after an SMS', () => {
    const failed = applyEvent(base, { type: 'EXPIRE' }, 1_000);
    expect(failed.order.status).toBe('FAILED');
    expect(failed.ledger).toEqual([{ kind: 'refund', amountCents: 32 }]);
    for (const s of ['RECEIVED', 'WAITING'] as const) {
      const done = applyEvent(withSms(s), { type: 'EXPIRE' }, 1_000);
      expect(done.order.status).toBe('COMPLETED');
      expect(done.ledger).toEqual([]);
      expect(done.commands).toEqual(['finish']);
    }
  });

  it('fails with a refund when the upstream closes the number before any SMS', () => {
    const t = applyEvent(base, { type: 'UPSTREAM_CLOSED' }, 5);
    expect(t.order.status).toBe('FAILED');
    expect(t.ledger).toHaveLength(1);
    expect(applyEvent(withSms('RECEIVED'), { type: 'UPSTREAM_CLOSED' }, 5).order.status).toBe('COMPLETED');
  });

  it('never changes a terminal order on system events', () => {
    const events: OrderEvent[] = [{ type: 'SMS_RECEIVED', sms }, { type: 'EXPIRE' }, { type: 'UPSTREAM_CLOSED' }];
    for (const s of ['CANCELLED', 'FAILED', 'COMPLETED'] as const) {
      for (const e of events) expect(applyEvent({ ...base, status: s }, e, 5).changed).toBe(false);
    }
  });
});
