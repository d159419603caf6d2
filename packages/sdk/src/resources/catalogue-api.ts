/** The catalogue: GET /v1/services, /v1/countries and /v1/prices (read class, cached server-side). */
import type { RequestOptions } from '../http/requester.js';
import type { Country, PriceList, Service } from '../types.js';
import { ApiResource } from './api-resource.js';

export class ServicesApi extends ApiResource {
  /** Services with stock. `code` or `slug` goes in a new order's `service`. */
  async list(options?: RequestOptions): Promise<Service[]> {
    return (await this.request<{ items: Service[] }>({ method: 'GET', path: '/services', rateClass: 'read' }, options)).items;
  }
}

export class CountriesApi extends ApiResource {
  /** Countries: the upstream's numeric `id` and a short `slug`; either goes in a new order's `country`. */
  async list(options?: RequestOptions): Promise<Country[]> {
    return (await this.request<{ items: Country[] }>({ method: 'GET', path: '/countries', rateClass: 'read' }, options)).items;
  }
}

export class PricesApi extends ApiResource {
  /** Price and stock per country for one service (code or slug); the price is what an order charges. */
  list(query: { service: string }, options?: RequestOptions): Promise<PriceList> {
    return this.request<PriceList>({ method: 'GET', path: '/prices', query: { service: query.service }, rateClass: 'read' }, options);
  }
}
