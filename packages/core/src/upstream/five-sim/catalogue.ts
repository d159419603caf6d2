/**
 * 5sim names countries and products ("england", "telegram") where the engine uses SMS-Activate
 * ids and codes (16, "tg"). The mapping comes from the catalogue fixture — product = the
 * service's slug, country = its English name lowercased (with 5sim's exceptions) — refined by
 * the ISO codes in 5sim's own country list, and overridable by the operator. Also builds the
 * catalogue from the guest countries and prices.
 */
import type { CatalogueFixture } from '../../catalogue/catalogue-fixture.js';
import { parseDecimalMicros } from '../../money/money.js';
import type { UpstreamCatalogue, UpstreamOffer } from '../upstream.js';
import { countFromWire, decimalFromWire } from '../wire-values.js';
import { defaultCountryName, type CountriesSchema, type PricesSchema } from './protocol.js';
import type { z } from 'zod';

export interface FiveSimNameOverrides {
  /** 5sim country name → SMS-Activate country id, e.g. `{ "czech": 63 }`. */
  countries?: Record<string, number>;
  /** 5sim product name → service code, e.g. `{ "blizzard": "bz" }`. */
  products?: Record<string, string>;
}

export class FiveSimNames {
  private readonly countryByName = new Map<string, number>();
  private readonly nameByCountry = new Map<number, string>();
  private readonly serviceByProduct = new Map<string, string>();
  private readonly productByService = new Map<string, string>();
  private readonly countryBySlug: Map<string, number>;
  private readonly countryNames: Map<number, string>;
  readonly serviceNames: Map<string, string>;

  constructor(
    fixture: Pick<CatalogueFixture, 'countries' | 'services'>,
    private readonly overrides: FiveSimNameOverrides = {},
  ) {
    for (const c of fixture.countries) this.setCountry(defaultCountryName(c.id, c.name), c.id);
    for (const s of fixture.services) this.setProduct(s.slug, s.code);
    for (const [name, id] of Object.entries(overrides.countries ?? {})) this.setCountry(name, id);
    for (const [product, code] of Object.entries(overrides.products ?? {})) this.setProduct(product, code);
    this.countryBySlug = new Map(fixture.countries.map((c) => [c.slug, c.id]));
    this.countryNames = new Map(fixture.countries.map((c) => [c.id, c.name]));
    this.serviceNames = new Map(fixture.services.map((s) => [s.code, s.name]));
  }

  private setCountry(name: string, id: number): void {
    const old = this.nameByCountry.get(id);
    if (old !== undefined) this.countryByName.delete(old);
    this.countryByName.set(name, id);
    this.nameByCountry.set(id, name);
  }

  private setProduct(product: string, code: string): void {
    const old = this.productByService.get(code);
    if (old !== undefined) this.serviceByProduct.delete(old);
    this.serviceByProduct.set(product, code);
    this.productByService.set(code, product);
  }

  /** Learns 5sim's spelling of a country from the ISO code in its own list, unless the operator said otherwise. */
  learnCountries(list: z.infer<typeof CountriesSchema>): void {
    const pinned = new Set(Object.values(this.overrides.countries ?? {}));
    for (const [name, c] of Object.entries(list)) {
      const iso = Object.keys(c.iso ?? {})[0]?.toLowerCase();
      const id = iso === undefined ? undefined : this.countryBySlug.get(iso);
      if (id !== undefined && !pinned.has(id)) this.setCountry(name, id);
    }
  }

  countryName(id: number): string | undefined {
    return this.nameByCountry.get(id);
  }

  countryId(name: string | null | undefined): number | undefined {
    return name ? this.countryByName.get(name) : undefined;
  }

  product(service: string): string | undefined {
    return this.productByService.get(service);
  }

  service(product: string | null | undefined): string | undefined {
    return product ? this.serviceByProduct.get(product) : undefined;
  }

  englishName(id: number): string | undefined {
    return this.countryNames.get(id);
  }
}

type Operators = Record<string, { cost: string | number; count?: string | number | null | undefined }>;

/**
 * One offer per product and country over all operators: the stock summed, the cost the dearest
 * operator with stock asks (a buy through "any" may land on it, and pricing must cover it).
 */
function offerOf(service: string, country: number, operators: Operators): UpstreamOffer | undefined {
  const rows = Object.values(operators)
    .map((o) => ({ cost: decimalFromWire(o.cost), count: countFromWire(o.count) }))
    .filter((o): o is { cost: string; count: number } => o.cost !== undefined);
  const stocked = rows.filter((o) => o.count > 0);
  const costs = (stocked.length > 0 ? stocked : rows).map((o) => o.cost);
  if (costs.length === 0) return undefined;
  const cost = costs.reduce((a, b) => (parseDecimalMicros(b) > parseDecimalMicros(a) ? b : a));
  return { service, country, cost, count: stocked.reduce((n, o) => n + o.count, 0) };
}

export function readCatalogue(
  countries: z.infer<typeof CountriesSchema>,
  prices: z.infer<typeof PricesSchema>,
  names: FiveSimNames,
): UpstreamCatalogue {
  names.learnCountries(countries);
  const countryList = new Map<number, string>();
  for (const [name, c] of Object.entries(countries)) {
    const id = names.countryId(name);
    if (id !== undefined) countryList.set(id, c.text_en?.trim() || names.englishName(id) || name);
  }
  const services = new Map<string, string>();
  const offers: UpstreamOffer[] = [];
  for (const [countryName, byProduct] of Object.entries(prices)) {
    const country = names.countryId(countryName);
    if (country === undefined) continue;
    for (const [product, operators] of Object.entries(byProduct)) {
      const service = names.service(product);
      const offer = service === undefined ? undefined : offerOf(service, country, operators);
      if (!service || !offer) continue;
      if (!countryList.has(country)) countryList.set(country, names.englishName(country) ?? countryName);
      services.set(service, names.serviceNames.get(service) ?? product);
      offers.push(offer);
    }
  }
  return {
    countries: [...countryList].map(([id, name]) => ({ id, name })),
    services: [...services].map(([code, name]) => ({ code, name })),
    offers,
  };
}
