/**
 * JiemaClient: the composition root. One client per API key; its resources share one requester
 * (retries, hooks), one pacer (the key's budget) and one clock.
 */
import { resolveOptions, type JiemaClientOptions } from './client-options.js';
import { Requester } from './http/requester.js';
import type { RatePacer } from './pacing/rate-pacer.js';
import { AccountApi } from './resources/account-api.js';
import { CountriesApi, PricesApi, ServicesApi } from './resources/catalogue-api.js';
import { OrdersApi } from './resources/orders-api.js';
import { WebhooksApi } from './resources/webhooks-api.js';

export class JiemaClient {
  /** The API base every path is under, e.g. `https://jiema.my/api/v1`. */
  readonly baseUrl: string;
  readonly account: AccountApi;
  readonly services: ServicesApi;
  readonly countries: CountriesApi;
  readonly prices: PricesApi;
  readonly orders: OrdersApi;
  /** Webhook endpoints and `verify` for deliveries (a jiema extension). */
  readonly webhooks: WebhooksApi;
  /** This client's pacer (undefined with `pacing: false`); pass it to another client on the same key to share the budget. */
  readonly pacer: RatePacer | undefined;
  readonly #requester: Requester;

  constructor(options: JiemaClientOptions) {
    const config = resolveOptions(options);
    this.#requester = new Requester(config);
    this.baseUrl = config.apiBase;
    this.pacer = config.pacer;
    this.account = new AccountApi(this.#requester);
    this.services = new ServicesApi(this.#requester);
    this.countries = new CountriesApi(this.#requester);
    this.prices = new PricesApi(this.#requester);
    this.orders = new OrdersApi(this.#requester, config.clock);
    this.webhooks = new WebhooksApi(this.#requester);
  }

  toString(): string {
    return `JiemaClient(${this.baseUrl}, key ${this.#requester.maskedKey})`;
  }

  toJSON(): { baseUrl: string; apiKey: string } {
    return { baseUrl: this.baseUrl, apiKey: this.#requester.maskedKey };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
