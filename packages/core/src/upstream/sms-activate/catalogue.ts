/**
 * The SMS-Activate catalogue from its own lists: getCountries (visible ones), getServicesList
 * (names trimmed, codes de-duplicated) and getPrices (object or array shape). Costs stay in the
 * upstream's unit; stock is `physicalCount` where the upstream reports it (HeroSMS), else `count`.
 */
import type { UpstreamCatalogue, UpstreamOffer } from '../upstream.js';
import { countFromWire, decimalFromWire } from '../wire-values.js';
import { CountriesSchema, PricesSchema, ServicesListSchema, type PriceSchema } from './protocol.js';
import type { z } from 'zod';

type Price = z.infer<typeof PriceSchema>;

export interface CatalogueReplies {
  countries: unknown;
  services: unknown;
  prices: unknown;
}

/** Throws a ZodError when a reply does not have the documented shape. */
export function readCatalogue(replies: CatalogueReplies): UpstreamCatalogue {
  const countries = new Map<number, string>();
  for (const c of CountriesSchema.parse(replies.countries)) {
    const id = Number(c.id);
    if (!Number.isInteger(id) || id < 0 || String(c.visible ?? '1') === '0') continue;
    countries.set(id, (c.eng ?? c.rus ?? '').trim() || `Country ${id}`);
  }
  const services = new Map<string, string>();
  for (const s of ServicesListSchema.parse(replies.services).services) {
    if (!services.has(s.code)) services.set(s.code, s.name?.trim() || s.code);
  }
  const offers: UpstreamOffer[] = [];
  for (const row of priceRows(PricesSchema.parse(replies.prices))) {
    const country = Number(row.country);
    const cost = decimalFromWire(row.price.cost);
    if (!countries.has(country) || cost === undefined) continue;
    if (!services.has(row.service)) services.set(row.service, row.service);
    offers.push({ service: row.service, country, cost, count: countFromWire(row.price.physicalCount ?? row.price.count) });
  }
  return {
    countries: [...countries].map(([id, name]) => ({ id, name })),
    services: [...services].map(([code, name]) => ({ code, name })),
    offers,
  };
}

function* priceRows(prices: z.infer<typeof PricesSchema>): Generator<{ country: string; service: string; price: Price }> {
  const nested = (byCountry: Record<string, Record<string, Price>>) =>
    Object.entries(byCountry).flatMap(([country, byService]) =>
      Object.entries(byService).map(([service, price]) => ({ country, service, price })),
    );
  if (!Array.isArray(prices)) {
    yield* nested(prices);
    return;
  }
  for (const item of prices) {
    if ('service' in item && typeof item.service === 'string' && 'cost' in item)
      yield { country: String(item.country), service: item.service, price: item as Price };
    else yield* nested(item as Record<string, Record<string, Price>>);
  }
}
