/**
 * Reading the provider's incoming-SMS webhook (docs/decisions.md D99): the body becomes the same
 * message a status poll would show, with the same key — activation id + the time as the
 * provider writes it + the text — so a message that arrives both ways is recorded once.
 */
import type { PushedSms } from '../upstream.js';
import { UpstreamError } from '../upstream-error.js';
import { formatWallTime, idFromWire, messageKey, parseWallTime } from '../wire-values.js';
import { smsCode } from '../../order/sms-code.js';
import { WebhookSchema } from './protocol.js';

const ZONED_TIME = /(Z|[+-]\d{2}:?\d{2})$/;

export function readSmsActivatePush(body: Record<string, unknown>, timeZone: string): PushedSms {
  const parsed = WebhookSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UpstreamError(
      'PROTOCOL',
      `the webhook body is not SMS-Activate's format (${issue?.path.join('.') || 'body'}: ${issue?.message})`,
    );
  }
  const w = parsed.data;
  const activationId = idFromWire(w.activationId);
  if (!activationId || !/^[\w-]{1,64}$/.test(activationId)) throw new UpstreamError('PROTOCOL', 'the webhook has no usable activationId');
  const text = w.text?.trim() ?? '';
  const given = w.code === undefined || w.code === null ? '' : String(w.code).trim();
  if (text === '' && given === '') throw new UpstreamError('PROTOCOL', 'the webhook carries neither text nor code');
  // The time as getStatusV2 would write it: zone-less as sent, or an ISO time with a zone turned into one.
  let dateTime = w.receivedAt?.trim() ?? '';
  let receivedAt = parseWallTime(dateTime, timeZone);
  if (receivedAt === null && ZONED_TIME.test(dateTime) && Number.isFinite(Date.parse(dateTime))) {
    receivedAt = Date.parse(dateTime);
    dateTime = formatWallTime(receivedAt, timeZone);
  }
  const code = smsCode(given || null, text || given);
  return {
    activationId,
    sms: { key: messageKey(activationId, dateTime, text || code || given), text: text || given, code, receivedAt },
  };
}
