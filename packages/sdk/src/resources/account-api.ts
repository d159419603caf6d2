/** GET /v1/account: the balance and profile of the key's owner. */
import type { RequestOptions } from '../http/requester.js';
import type { Account } from '../types.js';
import { ApiResource } from './api-resource.js';

export class AccountApi extends ApiResource {
  /** The balance (`balanceCents`, a decimal string) and profile. */
  get(options?: RequestOptions): Promise<Account> {
    return this.request<Account>({ method: 'GET', path: '/account', rateClass: 'read' }, options);
  }
}
