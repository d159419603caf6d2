/**
 * The catalogue the API shows (docs/decisions.md D12, D14): the upstream's countries, services, costs
 * and stock, cached (default 5 minutes, single-flight, stale copy served if a refresh fails),
 * with slugs and names from the project's fixture. Also resolves `service`/`country` inputs.
 */
import { AppError } from '../errors/app-error.js';
import { didYouMean } from './suggest.js';
import { parseDecimalMicros } from '../money/money.js';
import type { Clock } from '../ports/clock.js';
import type { Upstream } from '../upstream/upstream.js';
import type { CatalogueFixture } from './catalogue-fixture.js';
import { applyOverrides, type CatalogueOverrides } from './catalogue-overrides.js';

export interface ServiceEntry {
  code: string;
  slug: string;
  name: string;
  windowMs: number;
}

export interface CountryEntry {
  id: number;
  slug: string;
  name: string;
}

interface CatalogueOffer {
  service: string;
  country: number;
  costMicros: bigint;
  count: number;
}

export interface CatalogueView {
  services: ServiceEntry[];
  countries: CountryEntry[];
  offersByService: Map<string, CatalogueOffer[]>;
  fetchedAt: number;
}

export interface CatalogueOptions {
  ttlMs?: number;
  defaultWindowMs?: number;
}

const slugify = (name: string): string =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'x';

export class CatalogueService {
  private cached: CatalogueView | undefined;
  private inflight: Promise<CatalogueView> | undefined;
  private readonly ttlMs: number;
  private readonly defaultWindowMs: number;

  constructor(
    private readonly upstream: Upstream,
    private readonly baseFixture: Pick<CatalogueFixture, 'countries' | 'services'>,
    private readonly clock: Clock,
    options: CatalogueOptions = {},
    /** Read at every refresh, so an operator's overrides apply without a restart. */
    private readonly overrides: () => CatalogueOverrides | undefined = () => undefined,
  ) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.defaultWindowMs = options.defaultWindowMs ?? 20 * 60_000;
  }

  /** Drops the cached copy; the next read asks the upstream. */
  invalidate(): void {
    this.cached = undefined;
  }

  async get(): Promise<CatalogueView> {
    const now = this.clock.now();
    if (this.cached && now - this.cached.fetchedAt < this.ttlMs) return this.cached;
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    try {
      return await this.inflight;
    } catch (err) {
      if (this.cached) return this.cached;
      throw new AppError('UPSTREAM_UNAVAILABLE', 'The number provider did not answer with its catalogue; try again shortly.', {
        cause: (err as Error).message,
      });
    }
  }

  private async refresh(): Promise<CatalogueView> {
    const raw = await this.upstream.getCatalogue();
    const fixture = applyOverrides(this.baseFixture, this.overrides());
    const fixtureServices = new Map(fixture.services.map((s) => [s.code, s]));
    const fixtureCountries = new Map(fixture.countries.map((c) => [c.id, c]));
    const services = new Map<string, ServiceEntry>();
    const countries = new Map<number, CountryEntry>();
    const addService = (code: string, upstreamName?: string) => {
      if (services.has(code) || code === 'full') return;
      const f = fixtureServices.get(code);
      services.set(code, {
        code,
        slug: f?.slug ?? code,
        name: f?.name ?? upstreamName?.trim() ?? code,
        windowMs: f?.windowMinutes ? f.windowMinutes * 60_000 : this.defaultWindowMs,
      });
    };
    const addCountry = (id: number, upstreamName?: string) => {
      if (countries.has(id)) return;
      const f = fixtureCountries.get(id);
      countries.set(id, {
        id,
        slug: f?.slug ?? slugify(upstreamName ?? `country-${id}`),
        name: f?.name ?? upstreamName?.trim() ?? `Country ${id}`,
      });
    };
    for (const s of raw.services) addService(s.code, s.name);
    for (const c of raw.countries) addCountry(c.id, c.name);
    const offersByService = new Map<string, CatalogueOffer[]>();
    for (const o of raw.offers) {
      if (o.service === 'full') continue;
      addService(o.service);
      addCountry(o.country);
      let costMicros: bigint;
      try {
        costMicros = parseDecimalMicros(o.cost);
      } catch {
        continue; // an offer whose cost cannot be read cannot be priced, so it is not sold
      }
      const list = offersByService.get(o.service) ?? [];
      list.push({ service: o.service, country: o.country, costMicros, count: Math.max(0, Math.trunc(o.count)) });
      offersByService.set(o.service, list);
    }
    for (const list of offersByService.values()) list.sort((a, b) => a.country - b.country);
    const view: CatalogueView = {
      services: [...services.values()].sort((a, b) => a.code.localeCompare(b.code)),
      countries: [...countries.values()].sort((a, b) => a.id - b.id),
      offersByService,
      fetchedAt: this.clock.now(),
    };
    this.cached = view;
    return view;
  }

  /** Accepts a code ("tg") or slug ("telegram"); BAD_SERVICE otherwise. */
  resolveService(view: CatalogueView, input: unknown): ServiceEntry {
    if (typeof input === 'string') {
      const wanted = input.trim().toLowerCase();
      const found = view.services.find((s) => s.code === wanted) ?? view.services.find((s) => s.slug === wanted);
      if (found) return found;
    }
    const hint = didYouMean(
      input,
      view.services.map((s) => ({ value: s.slug, names: [s.code, s.slug, s.name], label: s.name })),
    );
    throw new AppError('BAD_SERVICE', `Unknown service ${JSON.stringify(input)}.${hint} GET /api/v1/services lists the codes and slugs.`);
  }

  /** Accepts the numeric id (as a number or string) or the slug ("my"); BAD_COUNTRY otherwise. */
  resolveCountry(view: CatalogueView, input: unknown): CountryEntry {
    let found: CountryEntry | undefined;
    if (typeof input === 'number' && Number.isInteger(input)) found = view.countries.find((c) => c.id === input);
    else if (typeof input === 'string') {
      const text = input.trim().toLowerCase();
      found = /^\d{1,6}$/.test(text) ? view.countries.find((c) => c.id === Number(text)) : view.countries.find((c) => c.slug === text);
    }
    if (found) return found;
    const hint = didYouMean(
      input,
      view.countries.map((c) => ({ value: c.slug, names: [c.slug, c.name], label: `${c.name}, id ${c.id}` })),
    );
    throw new AppError('BAD_COUNTRY', `Unknown country ${JSON.stringify(input)}.${hint} GET /api/v1/countries lists the ids and slugs.`);
  }
}
