/**
 * The project's own catalogue fixture (docs/decisions.md D12): friendly slugs and names for upstream
 * country ids and service codes, per-service order windows, and (for fake upstreams) costs,
 * stock, phone formats and SMS templates. Validated with zod when loaded.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const FixtureCountrySchema = z.object({
  id: z.number().int().nonnegative(),
  slug: z.string().regex(/^[a-z][a-z0-9-]*$/),
  name: z.string().min(1),
  dialCode: z.string().regex(/^\d{1,4}$/),
  phoneDigits: z.number().int().min(4).max(14),
  phoneFormat: z.string().regex(/^[0-9#]+$/),
});

const FixtureServiceSchema = z.object({
  code: z.string().regex(/^[a-z0-9]{2,4}$/),
  slug: z.string().regex(/^[a-z][a-z0-9-]*$/),
  name: z.string().min(1),
  smsTemplates: z.array(z.string().includes('{code}')).min(1),
  codeLength: z.number().int().min(4).max(8),
  /** Overrides the default 20-minute order window (docs/decisions.md D5). */
  windowMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
});

const FixtureOfferSchema = z.object({
  service: z.string(),
  country: z.number().int().nonnegative(),
  cost: z.string().regex(/^\d+(\.\d{1,6})?$/),
  count: z.number().int().nonnegative(),
});

const CatalogueFixtureSchema = z.object({
  version: z.literal(1),
  costUnit: z.string(),
  countries: z.array(FixtureCountrySchema),
  services: z.array(FixtureServiceSchema),
  offers: z.array(FixtureOfferSchema),
});

export type CatalogueFixture = z.infer<typeof CatalogueFixtureSchema>;
export type FixtureCountry = z.infer<typeof FixtureCountrySchema>;
export type FixtureService = z.infer<typeof FixtureServiceSchema>;

/**
 * The catalogue shipped inside @jiema/core (`data/catalogue.json`, in the package's `files`), found
 * relative to this module so it works from `src/` and `dist/` alike, installed or in the repository
 * (docs/decisions.md D60).
 */
const DEFAULT_CATALOGUE_PATH = fileURLToPath(new URL('../../data/catalogue.json', import.meta.url));

export function loadCatalogueFixture(path: string = DEFAULT_CATALOGUE_PATH): CatalogueFixture {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`Could not read the catalogue fixture ${path}: ${(err as Error).message}`);
  }
  const parsed = CatalogueFixtureSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new Error(`The catalogue fixture ${path} is invalid at ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  return parsed.data;
}
