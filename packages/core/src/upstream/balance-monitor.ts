/**
 * The reseller's balance at the number provider (docs/decisions.md D103): read at start and then
 * every minute by the server's scheduler (the engine has no timers), logged at each read, with one
 * warning when it falls below the operator's minimum and one notice when it recovers — once per
 * crossing, never at every read. `/readyz` and the metrics read the last known value.
 */
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../logger.js';
import type { Upstream } from './upstream.js';

export interface BalanceReading {
  /** The balance in the provider's currency, or null until a read succeeded. */
  amount: number | null;
  /** The provider's text for it ("12.50"). */
  text: string | null;
  /** When it was last read successfully (ms). */
  readAt: number | null;
  /** The last read failed: why (the last known amount is kept). */
  error: string | null;
  /** Below the minimum (false when there is no minimum, or nothing was read yet). */
  low: boolean;
  /** The operator's minimum, when set. */
  minimum: number | null;
}

export const BALANCE_EVERY_MS = 60_000;

export class BalanceMonitor {
  private reading: BalanceReading;
  private inflight: Promise<BalanceReading> | undefined;

  constructor(
    private readonly upstream: Upstream,
    private readonly clock: Clock,
    private readonly log: Logger,
    minimum: number | undefined,
  ) {
    this.reading = { amount: null, text: null, readAt: null, error: null, low: false, minimum: minimum ?? null };
  }

  current(): BalanceReading {
    return this.reading;
  }

  /** Reads the balance now (one read at a time); never rejects: a failure is kept as `error`. */
  refresh(): Promise<BalanceReading> {
    this.inflight ??= this.read().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async read(): Promise<BalanceReading> {
    const prev = this.reading;
    try {
      const { amount: text } = await this.upstream.getBalance();
      const amount = Number(text);
      if (!Number.isFinite(amount))
        throw new Error(`the provider answered a balance that is not a number: ${JSON.stringify(text).slice(0, 40)}`);
      const low = prev.minimum !== null && amount < prev.minimum;
      this.reading = { ...prev, amount, text, readAt: this.clock.now(), error: null, low };
      this.log.info({
        event: 'upstream.balance',
        upstream: this.upstream.name,
        balance: text,
        ...(prev.minimum !== null && { minimum: prev.minimum }),
      });
      if (low && !prev.low) {
        this.log.warn({
          event: 'upstream.balance_low',
          upstream: this.upstream.name,
          balance: text,
          minimum: prev.minimum,
          detail: 'The provider balance is below --min-upstream-balance: top it up at the provider, or buys will soon fail.',
        });
      } else if (!low && prev.low) {
        this.log.info({ event: 'upstream.balance_recovered', upstream: this.upstream.name, balance: text, minimum: prev.minimum });
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.reading = { ...prev, error };
      this.log.warn({ event: 'upstream.balance_unread', upstream: this.upstream.name, error });
    }
    return this.reading;
  }
}
