/**
 * The Upstream port: the wholesale number provider behind the engine. Implementations: the
 * in-memory one here (core's tests), the simulator's fake, and the real protocol adapters.
 * Every implementation must pass `upstreamContract` (testing.ts). Methods reject only with
 * UpstreamError; the kinds each method may raise are listed on it.
 */

export interface UpstreamOffer {
  service: string;
  /** The upstream's numeric country id (SMS-Activate numbering). */
  country: number;
  /** Wholesale cost per number as a decimal string in the upstream's own unit (USD, RUB, …). */
  cost: string;
  /** Numbers in stock; may be stale or optimistic. */
  count: number;
}

export interface UpstreamCatalogue {
  countries: Array<{ id: number; name: string }>;
  services: Array<{ code: string; name: string }>;
  offers: UpstreamOffer[];
}

export interface Activation {
  activationId: string;
  /** Digits only, starting with the country calling code, no '+'. */
  phone: string;
}

export type UpstreamState = 'WAITING' | 'RECEIVED' | 'CLOSED';

export interface UpstreamSms {
  /** Stable for one message: the same message seen twice has the same key. */
  key: string;
  text: string;
  code: string | null;
  /** When the upstream says it arrived (ms), or null when it does not say. */
  receivedAt: number | null;
  /**
   * The upstream showed only the latest message's code (no text, no time), so its key cannot match
   * the same message seen in full (pushed by a webhook): it is taken as the order's latest SMS when
   * that has the same code (docs/decisions.md D99).
   */
  codeOnly?: boolean;
}

export interface ActivationStatus {
  state: UpstreamState;
  /** The messages the upstream can show for this activation; some upstreams show only the latest. */
  messages: UpstreamSms[];
}

export interface ActiveActivation {
  activationId: string;
  phone: string;
  service: string;
  country: number;
  /** When the activation was bought (ms), or null when the upstream does not say. */
  startedAt: number | null;
}

/** One message the upstream pushed (its incoming-SMS webhook), read by the adapter (docs/decisions.md D99). */
export interface PushedSms {
  activationId: string;
  /** Keyed as a status poll would key the same message, so either path records it once. */
  sms: UpstreamSms;
}

/** What an adapter knows of the upstream's health, for `/healthz` and operators. */
export interface UpstreamHealth {
  /**
   * ok: answering. degraded: recent failures, still trying. down: not usable until it recovers
   * by itself (circuit open) or an operator acts (bad key, no balance, banned account).
   */
  status: 'ok' | 'degraded' | 'down';
  /** One line for operators; never contains a key. */
  detail?: string;
}

export interface Upstream {
  /** A short name for logs and health output ("memory", "sim", "sms-activate", "5sim"). */
  readonly name: string;

  /** Countries, services, costs and stock. Called rarely; the engine caches it. Raises UNAVAILABLE, AUTH. */
  getCatalogue(): Promise<UpstreamCatalogue>;

  /** The reseller's own balance at the upstream, as a decimal string in its unit. Raises UNAVAILABLE, AUTH. */
  getBalance(): Promise<{ amount: string }>;

  /**
   * Buys a number. Not idempotent: the engine never retries it blindly. Raises NO_NUMBERS,
   * BAD_SERVICE, BAD_COUNTRY, NO_BALANCE, AUTH, UNAVAILABLE; TIMEOUT when the outcome is unknown
   * (the number may have been sold: the engine reconciles through `listActive`).
   */
  buy(request: { service: string; country: number }): Promise<Activation>;

  /** The activation's state and messages. Raises NO_ACTIVATION, UNAVAILABLE, TIMEOUT. */
  getStatus(activationId: string): Promise<ActivationStatus>;

  /** Keeps the number and waits for another SMS (setStatus 3). Raises NO_ACTIVATION, BAD_STATUS, UNAVAILABLE. */
  requestNextSms(activationId: string): Promise<void>;

  /** Closes an activation that received its code (setStatus 6). Raises NO_ACTIVATION, BAD_STATUS, UNAVAILABLE. */
  finish(activationId: string): Promise<void>;

  /**
   * Cancels an unused activation; the upstream refunds the reseller (setStatus 8). Raises
   * EARLY_CANCEL_DENIED inside the upstream's hold, CODE_RECEIVED after an SMS, NO_ACTIVATION
   * when it is already closed or unknown, UNAVAILABLE.
   */
  cancel(activationId: string): Promise<void>;

  /** Activations still open at the upstream, for reconciliation only. Raises UNAVAILABLE, AUTH. */
  listActive(): Promise<ActiveActivation[]>;

  /**
   * Optional, synchronous and cheap (no network): the adapter's view of the upstream's health
   * from its recent calls. Read by `/healthz` on every request. An implementation without it is
   * taken as always ok.
   */
  health?(): UpstreamHealth;

  /**
   * Optional and cheap: the state of the adapter's circuit breaker (open: calls are refused without
   * touching the network). An implementation without one is taken as always closed.
   */
  circuitState?(): 'closed' | 'open' | 'half-open';

  /**
   * Optional, synchronous, no network: reads the body of one request the provider pushed to its
   * webhook (an object: JSON, or form fields as strings) into the message it carries. Throws
   * UpstreamError PROTOCOL when the body is not the provider's format. Present only on adapters
   * whose provider can push (docs/decisions.md D99).
   */
  readPush?(body: Record<string, unknown>): PushedSms;
}
