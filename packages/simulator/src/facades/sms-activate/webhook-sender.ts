/**
 * The SMS-Activate facade's incoming-SMS webhook: once a URL is set (`PUT /_sim/v1/facade`,
 * `startSimulator({ smsActivateWebhookUrl })`), every SMS the fake upstream delivers is POSTed
 * there as the provider does — JSON `{activationId, service, text, code, country, receivedAt}` —
 * and retried while the receiver fails (anything but 2xx, or no answer in 5 s). Real time, not
 * the virtual clock: the receiver is another server. Each attempt goes into the event log as
 * `facade.webhook`, so tests can see what was sent and how it was answered.
 */
import { smsCode, type UpstreamSms } from '@jiema/core';
import type { SimActivation } from '../../fake-upstream.js';
import type { EventLog } from '../../event-log.js';
import { protocolTime } from './protocol.js';

export interface WebhookSenderOptions {
  /** Real ms to wait before each retry; its length is the number of retries. Default 1 s, 2 s, 4 s, 8 s, 16 s. */
  retryDelaysMs?: number[];
  timeoutMs?: number;
}

export interface WebhookStats {
  url: string | null;
  /** Messages whose delivery ended with a 2xx. */
  delivered: number;
  /** Messages given up after every retry failed. */
  failed: number;
  /** Messages still being tried. */
  pending: number;
}

export class SmsActivateWebhookSender {
  private url: string | null = null;
  private delivered = 0;
  private failed = 0;
  private readonly inflight = new Set<Promise<void>>();
  /** Retries waiting for their moment: close() ends them at once. */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private closed = false;
  private readonly retryDelaysMs: number[];
  private readonly timeoutMs: number;

  /** The current world's event log (a reset brings another). */
  private log: EventLog | undefined;

  constructor(options: WebhookSenderOptions = {}) {
    this.retryDelaysMs = options.retryDelaysMs ?? [1_000, 2_000, 4_000, 8_000, 16_000];
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Where to send from now on; null stops sending (deliveries already under way finish). */
  setUrl(url: string | null): void {
    if (url !== null) {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('the webhook URL must be http or https');
    }
    this.url = url;
  }

  /** A new world (a reset) logs into its own event log; the URL stays. */
  useLog(log: EventLog): void {
    this.log = log;
  }

  stats(): WebhookStats {
    return { url: this.url, delivered: this.delivered, failed: this.failed, pending: this.inflight.size };
  }

  /** The provider's webhook body for one SMS. */
  static body(a: SimActivation, sms: UpstreamSms, now: number): Record<string, unknown> {
    return {
      activationId: Number(a.id),
      service: a.service,
      text: sms.text,
      code: smsCode(sms.code, sms.text) ?? '',
      country: a.country,
      receivedAt: protocolTime(sms.receivedAt ?? now),
    };
  }

  /** Sends one SMS (in the background) when a URL is set. */
  send(a: SimActivation, sms: UpstreamSms, now: number): void {
    const url = this.url;
    if (url === null || this.closed) return;
    const body = JSON.stringify(SmsActivateWebhookSender.body(a, sms, now));
    const run = this.deliver(url, body, a.id).finally(() => this.inflight.delete(run));
    this.inflight.add(run);
  }

  /** Resolves once every delivery under way has ended (delivered or given up). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** Stops retrying; deliveries under way end at their next attempt. */
  close(): void {
    this.closed = true;
    for (const [t, wake] of this.waits) {
      clearTimeout(t);
      wake();
    }
    this.waits.clear();
  }

  private async deliver(url: string, body: string, activationId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const status = await this.post(url, body);
      const ok = typeof status === 'number' && status >= 200 && status < 300;
      this.log?.record('facade.webhook', { activationId, attempt, outcome: ok ? 'delivered' : 'failed' }, { status });
      if (ok) {
        this.delivered += 1;
        return;
      }
      const delay = this.retryDelaysMs[attempt - 1];
      if (delay === undefined || this.closed) {
        this.failed += 1;
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waits.delete(t);
          resolve();
        }, delay);
        t.unref();
        this.waits.set(t, resolve);
      });
      if (this.closed) {
        this.failed += 1;
        return;
      }
    }
  }

  /** The receiver's status, or the error's message when there was no answer. */
  private async post(url: string, body: string): Promise<number | string> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
}
