/**
 * 5sim's wire strings in one place: its lowercase error texts, order statuses, and the names it
 * uses for countries ("england", "usa") and products ("telegram") instead of ids and codes.
 */
import type { CatalogueFixture } from '@jiema/core';

export const FIVESIM_ERRORS = {
  noFreePhones: 'no free phones',
  notEnoughBalance: 'not enough user balance',
  badCountry: 'bad country',
  badOperator: 'bad operator',
  noProduct: 'no product',
  orderNotFound: 'order not found',
  orderExpired: 'order expired',
  orderHasSms: 'order has sms',
  waitTime: 'you need to wait time',
  serverOffline: 'server offline',
} as const;

export type FiveSimStatus = 'PENDING' | 'RECEIVED' | 'CANCELED' | 'TIMEOUT' | 'FINISHED' | 'BANNED';

/** 5sim's own spellings where they differ from a plain lowercased English name. */
const COUNTRY_NAMES: Record<number, string> = { 16: 'england', 187: 'usa', 12: 'usavirtual', 0: 'russia' };

function fiveSimCountryName(id: number, name: string): string {
  return COUNTRY_NAMES[id] ?? name.toLowerCase().replace(/[^a-z]/g, '');
}

export interface NameMaps {
  countryByName: Map<string, number>;
  nameByCountry: Map<number, string>;
  serviceByProduct: Map<string, string>;
  productByService: Map<string, string>;
}

export function nameMaps(fixture: Pick<CatalogueFixture, 'countries' | 'services'>): NameMaps {
  const nameByCountry = new Map(fixture.countries.map((c) => [c.id, fiveSimCountryName(c.id, c.name)]));
  const productByService = new Map(fixture.services.map((s) => [s.code, s.slug]));
  return {
    nameByCountry,
    countryByName: new Map([...nameByCountry].map(([id, n]) => [n, id])),
    productByService,
    serviceByProduct: new Map([...productByService].map(([code, p]) => [p, code])),
  };
}

/** The operator name every fake number reports. */
export const FAKE_OPERATOR = 'virtual21';
