/**
 * Catalogue overrides an operator (or `jiema seed`) keeps in the database: friendlier slugs and
 * names, per-service order windows, and — for the simulator's fake upstream — offer costs and
 * stock. Stored as one JSON setting, validated on the way in and on the way out.
 */
import { z } from 'zod';
import type { SettingsStore } from '../storage/settings-store.js';

export const CatalogueOverridesSchema = z.strictObject({
  services: z
    .array(
      z.strictObject({
        code: z.string().regex(/^[a-z0-9]{2,4}$/),
        slug: z
          .string()
          .regex(/^[a-z][a-z0-9-]*$/)
          .optional(),
        name: z.string().min(1).max(64).optional(),
        windowMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .optional(),
      }),
    )
    .default([]),
  countries: z
    .array(
      z.strictObject({
        id: z.number().int().nonnegative(),
        slug: z
          .string()
          .regex(/^[a-z][a-z0-9-]*$/)
          .optional(),
        name: z.string().min(1).max(64).optional(),
      }),
    )
    .default([]),
  /** Simulator only: the fake upstream's cost and stock for an offer, applied when it starts. */
  offers: z
    .array(
      z.strictObject({
        service: z.string().regex(/^[a-z0-9]{2,4}$/),
        country: z.number().int().nonnegative(),
        cost: z
          .string()
          .regex(/^\d+(\.\d{1,6})?$/)
          .optional(),
        count: z.number().int().min(0).optional(),
      }),
    )
    .default([]),
});

export type CatalogueOverrides = z.output<typeof CatalogueOverridesSchema>;

const KEY = 'catalogue_overrides';

export function readCatalogueOverrides(settings: SettingsStore): CatalogueOverrides | undefined {
  const raw = settings.get(KEY);
  if (!raw) return undefined;
  const parsed = CatalogueOverridesSchema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : undefined;
}

export function writeCatalogueOverrides(settings: SettingsStore, overrides: CatalogueOverrides): void {
  settings.set(KEY, JSON.stringify(CatalogueOverridesSchema.parse(overrides)));
}

/** The fixture with the overrides laid over it (slugs, names, windows, offers). */
export function applyOverrides<
  F extends {
    services: Array<{ code: string; slug: string; name: string; windowMinutes?: number | undefined }>;
    countries: Array<{ id: number; slug: string; name: string }>;
  },
>(fixture: F, overrides: CatalogueOverrides | undefined): F {
  if (!overrides) return fixture;
  const services = new Map(overrides.services.map((s) => [s.code, s]));
  const countries = new Map(overrides.countries.map((c) => [c.id, c]));
  return {
    ...fixture,
    services: fixture.services.map((s) => {
      const o = services.get(s.code);
      return o
        ? {
            ...s,
            ...(o.slug && { slug: o.slug }),
            ...(o.name && { name: o.name }),
            ...(o.windowMinutes && { windowMinutes: o.windowMinutes }),
          }
        : s;
    }),
    countries: fixture.countries.map((c) => {
      const o = countries.get(c.id);
      return o ? { ...c, ...(o.slug && { slug: o.slug }), ...(o.name && { name: o.name }) } : c;
    }),
  };
}
