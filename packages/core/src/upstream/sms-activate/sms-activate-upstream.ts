/**
 * The Upstream port over the SMS-Activate `handler_api.php` protocol, for any provider that
 * serves it (HeroSMS, GrizzlySMS, SMSHub, 5sim's api1, …) at a configurable base URL. Every
 * call goes through the call guard (breaker, read retries, alerts); replies are classified by
 * `parse.ts`. A buy is never repeated: when its outcome is unknown it rejects with TIMEOUT and
 * the engine reconciles through `listActive`.
 */
import type { z } from 'zod';
import type { HttpUpstreamOptions, HttpUpstreamParts } from '../http-upstream-options.js';
import { buildHttpUpstream } from '../http-upstream-options.js';
import type {
  Activation,
  ActivationStatus,
  ActiveActivation,
  Upstream,
  UpstreamCatalogue,
  PushedSms,
  UpstreamHealth,
  UpstreamSms,
} from '../upstream.js';
import type { BreakerState } from '../circuit-breaker.js';
import { UpstreamError } from '../upstream-error.js';
import { idFromWire, messageKey, parseWallTime, phoneFromWire } from '../wire-values.js';
import { smsCode } from '../../order/sms-code.js';
import { readCatalogue } from './catalogue.js';
import { readSmsActivatePush } from './webhook.js';
import { parseReply, type SmsActivateReply } from './parse.js';
import {
  ACTION,
  ACTIVE_PAGE_SIZE,
  ActiveListSchema,
  CLOSED_ACTIVATION_STATUSES,
  HANDLER_PATH,
  NO_CODE_PAYLOAD,
  NumberV2Schema,
  PARAM,
  REPLY,
  SET_STATUS,
  StatusV2Schema,
  UNSUPPORTED_ACTION,
} from './protocol.js';

export type SmsActivateUpstreamOptions = HttpUpstreamOptions;

/** At most this many pages of the active list are read (100 each). */
const MAX_ACTIVE_PAGES = 50;

type Message = { dateTime?: string | null; code?: string | number | null; text?: string | null };

export class SmsActivateUpstream implements Upstream {
  readonly name = 'sms-activate';
  readonly costUnit: string;
  private readonly p: HttpUpstreamParts;
  private readonly path: string;
  /** Cleared when the upstream answers getStatusV2 with BAD_ACTION: codes then come from getStatus alone. */
  private statusV2 = true;

  constructor(private readonly options: SmsActivateUpstreamOptions) {
    this.p = buildHttpUpstream(this.name, options);
    this.costUnit = this.p.costUnit;
    // A base URL may name the handler itself (some providers publish it that way).
    this.path = /\.php\/?$/.test(options.baseUrl) ? '' : HANDLER_PATH;
  }

  health(): UpstreamHealth {
    return this.p.guard.health();
  }

  circuitState(): BreakerState {
    return this.p.guard.circuitState();
  }

  /** The provider's incoming-SMS webhook body as a message keyed like getStatusV2's (docs/decisions.md D99). */
  readPush(body: Record<string, unknown>): PushedSms {
    return readSmsActivatePush(body, this.p.timeZone);
  }

  /** Closes the connections; calls still in flight reject. */
  close(): Promise<void> {
    return this.p.http.close();
  }

  private async send(action: string, params: Record<string, string> = {}, timeoutMs = this.p.timeoutMs): Promise<SmsActivateReply> {
    const query = new URLSearchParams({ [PARAM.apiKey]: this.options.apiKey, [PARAM.action]: action, ...params });
    const reply = await this.p.http.get({ path: `${this.path}?${query.toString()}`, timeoutMs });
    return parseReply(this.p.http.mask(reply.body), reply.status);
  }

  getCatalogue(): Promise<UpstreamCatalogue> {
    return this.p.guard.run('getCatalogue', 'read', async () => {
      const countries = json(await this.send(ACTION.getCountries), ACTION.getCountries);
      const services = json(await this.send(ACTION.getServicesList), ACTION.getServicesList);
      const prices = json(await this.send(ACTION.getPrices), ACTION.getPrices);
      try {
        return readCatalogue({ countries, services, prices });
      } catch (err) {
        throw new UpstreamError(
          'PROTOCOL',
          `the catalogue replies do not have the documented shape: ${(err as Error).message.slice(0, 300)}`,
        );
      }
    });
  }

  getBalance(): Promise<{ amount: string }> {
    return this.p.guard.run('getBalance', 'read', async () => {
      const { payload } = token(await this.send(ACTION.getBalance), ACTION.getBalance, [REPLY.balance]);
      if (payload === null || !/^-?\d+(\.\d+)?$/.test(payload))
        throw new UpstreamError('PROTOCOL', 'the balance is not a decimal', { raw: payload ?? '' });
      return { amount: payload };
    });
  }

  buy(request: { service: string; country: number }): Promise<Activation> {
    return this.p.guard.run('buy', 'buy', async () => {
      const reply = await this.send(
        ACTION.getNumberV2,
        { [PARAM.service]: request.service, [PARAM.country]: String(request.country) },
        this.p.buyTimeoutMs,
      );
      return readSale(reply);
    });
  }

  getStatus(activationId: string): Promise<ActivationStatus> {
    return this.p.guard.run('getStatus', 'read', async () => {
      const { token: t, payload } = token(await this.send(ACTION.getStatus, { [PARAM.id]: activationId }), ACTION.getStatus, [
        REPLY.waitCode,
        REPLY.waitRetry,
        REPLY.waitResend,
        REPLY.ok,
        REPLY.statusCancel,
      ]);
      if (t === REPLY.statusCancel) return { state: 'CLOSED', messages: [] };
      if (t !== REPLY.ok || payload === null || payload === '') return { state: 'WAITING', messages: [] };
      // "STATUS_OK:Нет кода": an SMS with no code the provider could read. Its text may still be
      // there (getStatusV2); with no text either, it is treated as nothing yet, as the official client does.
      const sms = await this.latestSms(activationId, payload === NO_CODE_PAYLOAD ? null : payload);
      return sms ? { state: 'RECEIVED', messages: [sms] } : { state: 'WAITING', messages: [] };
    });
  }

  /**
   * The latest SMS in full from getStatusV2; only the code when the upstream cannot show more.
   * Codes are read by the project's one extractor (docs/decisions.md D48): a payload of "123-456"
   * or a whole sentence yields the same code the in-process simulator shows.
   */
  private async latestSms(activationId: string, given: string | null): Promise<UpstreamSms | undefined> {
    const code = given === null ? null : smsCode(given, given);
    const codeOnly: UpstreamSms | undefined =
      given === null ? undefined : { key: messageKey(activationId, '', given), text: given, code, receivedAt: null, codeOnly: true };
    if (!this.statusV2) return codeOnly;
    const reply = await this.send(ACTION.getStatusV2, { [PARAM.id]: activationId });
    if (reply.kind === 'error') {
      if (reply.known && reply.error.raw === UNSUPPORTED_ACTION) {
        this.statusV2 = false;
        this.p.log.info({ event: 'upstream.status_v2_unsupported' });
        return codeOnly;
      }
      if (reply.error.kind === 'NO_ACTIVATION') return codeOnly; // closed in between: the code is all there is
      throw reply.error;
    }
    if (reply.kind === 'token') return codeOnly; // answered as bare text (STATUS_CANCEL, …): closed or not ready
    const parsed = StatusV2Schema.safeParse(reply.value);
    if (!parsed.success)
      throw new UpstreamError('PROTOCOL', 'getStatusV2 does not have the documented shape', {
        raw: JSON.stringify(reply.value).slice(0, 2_000),
      });
    const m = [parsed.data.sms, parsed.data.call].find((x): x is Message => isMessage(x));
    if (!m) return codeOnly;
    const text = m.text?.trim() || given || '';
    if (text === '') return codeOnly;
    const v2Code = m.code === undefined || m.code === null ? '' : String(m.code).trim();
    const found = smsCode(v2Code || given, text);
    return {
      key: messageKey(activationId, m.dateTime ?? '', m.text?.trim() || found || text),
      text,
      code: found,
      receivedAt: parseWallTime(m.dateTime, this.p.timeZone),
    };
  }

  requestNextSms(activationId: string): Promise<void> {
    return this.setStatus('requestNextSms', activationId, SET_STATUS.nextSms, REPLY.retryGet);
  }

  finish(activationId: string): Promise<void> {
    return this.setStatus('finish', activationId, SET_STATUS.finish, REPLY.activation);
  }

  cancel(activationId: string): Promise<void> {
    return this.p.guard.run('cancel', 'command', async () => {
      const reply = await this.send(ACTION.setStatus, { [PARAM.id]: activationId, [PARAM.status]: SET_STATUS.cancel });
      if (reply.kind === 'error' && reply.error.kind === 'BAD_STATUS') throw await this.whyCancelRefused(activationId, reply.error);
      token(reply, 'cancel', [REPLY.cancel]);
    });
  }

  /** BAD_STATUS to a cancel says only "not now"; the activation's state says why. */
  private async whyCancelRefused(activationId: string, refusal: UpstreamError): Promise<UpstreamError> {
    const reply = await this.send(ACTION.getStatus, { [PARAM.id]: activationId });
    if (reply.kind === 'error') return reply.error; // NO_ACTIVATION: closed already; anything else: the outbox tries again
    if (reply.kind === 'token' && reply.token === REPLY.statusCancel)
      return new UpstreamError('NO_ACTIVATION', 'the activation is already closed', { raw: refusal.raw });
    if (reply.kind === 'token' && (reply.token === REPLY.ok || reply.token === REPLY.waitRetry || reply.token === REPLY.waitResend)) {
      return new UpstreamError('CODE_RECEIVED', 'an SMS already arrived; finish instead', { raw: refusal.raw });
    }
    return refusal;
  }

  private setStatus(op: string, activationId: string, status: string, expected: string): Promise<void> {
    return this.p.guard.run(op, 'command', async () => {
      token(await this.send(ACTION.setStatus, { [PARAM.id]: activationId, [PARAM.status]: status }), op, [expected]);
    });
  }

  listActive(): Promise<ActiveActivation[]> {
    return this.p.guard.run('listActive', 'read', async () => {
      const found = new Map<string, ActiveActivation>();
      for (let page = 0; page < MAX_ACTIVE_PAGES; page++) {
        const reply = await this.send(ACTION.getActiveActivations, {
          [PARAM.start]: String(page * ACTIVE_PAGE_SIZE),
          [PARAM.limit]: String(ACTIVE_PAGE_SIZE),
        });
        if (reply.kind === 'token' && reply.token === REPLY.noActivations) break;
        const list = parsed(ActiveListSchema, json(reply, ACTION.getActiveActivations), ACTION.getActiveActivations).activeActivations;
        for (const a of list) {
          const activationId = idFromWire(a.activationId);
          const phone = phoneFromWire(a.phoneNumber);
          const country = Number(a.countryCode);
          if (!activationId || !phone || !Number.isInteger(country) || CLOSED_ACTIVATION_STATUSES.has(String(a.activationStatus ?? '')))
            continue;
          found.set(activationId, {
            activationId,
            phone,
            service: a.serviceCode,
            country,
            startedAt: parseWallTime(a.activationTime, this.p.timeZone),
          });
        }
        if (list.length < ACTIVE_PAGE_SIZE) break;
      }
      return [...found.values()];
    });
  }
}

// ------------------------------------------------------------------ reading replies

function unexpected(reply: SmsActivateReply, op: string): UpstreamError {
  if (reply.kind === 'error') return reply.error;
  const raw =
    reply.kind === 'token'
      ? reply.payload === null
        ? reply.token
        : `${reply.token}:${reply.payload}`
      : JSON.stringify(reply.value).slice(0, 2_000);
  return new UpstreamError('PROTOCOL', `an unexpected reply to ${op}`, { raw });
}

/** The reply's token, if it is one of `expected`; otherwise its error, or PROTOCOL. */
function token(reply: SmsActivateReply, op: string, expected: string[]): { token: string; payload: string | null } {
  if (reply.kind === 'token' && expected.includes(reply.token)) return reply;
  throw unexpected(reply, op);
}

function json(reply: SmsActivateReply, op: string): unknown {
  if (reply.kind === 'json') return reply.value;
  throw unexpected(reply, op);
}

function parsed<S extends z.ZodType>(schema: S, value: unknown, op: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new UpstreamError('PROTOCOL', `${op} does not have the documented shape`, { raw: JSON.stringify(value).slice(0, 2_000) });
  return r.data;
}

function isMessage(x: unknown): x is Message {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const m = x as Message;
  return Boolean(m.text?.trim()) || (m.code !== undefined && m.code !== null && String(m.code).trim() !== '');
}

/** A sold number from getNumberV2's JSON or getNumber's text. Anything else leaves the outcome unknown. */
function readSale(reply: SmsActivateReply): Activation {
  if (reply.kind === 'error' && reply.known) throw reply.error;
  let activationId: string | undefined;
  let phone: string | undefined;
  if (reply.kind === 'token' && reply.token === REPLY.number && reply.payload !== null) {
    const colon = reply.payload.indexOf(':');
    activationId = idFromWire(colon < 0 ? '' : reply.payload.slice(0, colon));
    phone = phoneFromWire(reply.payload.slice(colon + 1).trim());
  } else if (reply.kind === 'json') {
    const sale = NumberV2Schema.safeParse(reply.value);
    activationId = sale.success ? idFromWire(sale.data.activationId) : undefined;
    phone = sale.success ? phoneFromWire(sale.data.phoneNumber) : undefined;
  }
  if (activationId && phone) return { activationId, phone };
  const why = unexpected(reply, ACTION.getNumberV2);
  throw new UpstreamError('TIMEOUT', `the buy's outcome is unknown (${why.message}); reconcile before buying again`, { raw: why.raw });
}
