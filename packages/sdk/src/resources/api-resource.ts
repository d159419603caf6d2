/** The base of every resource (`client.account`, `client.orders`, …): a private handle on the requester. */
import type { RequestSpec, Requester, WriteOptions } from '../http/requester.js';

export abstract class ApiResource {
  readonly #requester: Requester;
  constructor(requester: Requester) {
    this.#requester = requester;
  }

  protected request<T>(spec: RequestSpec, options?: WriteOptions): Promise<T> {
    return this.#requester.request<T>(spec, options);
  }
}
