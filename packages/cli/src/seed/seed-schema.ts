/**
 * The seed file format (YAML or JSON): users with balances and keys, pricing rules, catalogue
 * overrides. Users are matched by `ref`, so applying a file twice changes nothing the second time.
 */
import { CatalogueOverridesSchema } from '@jiema/core';
import { schemas } from '@jiema/core/http';
import { z } from 'zod';

const SeedKeySchema = z.union([
  z.string().regex(/^jm_[0-9A-Za-z]{43}$/, 'a fixed key must be jm_ followed by 43 letters and digits'),
  z.strictObject({ name: z.string().min(1).max(64).describe('A key generated on first apply and printed once') }),
]);

const SeedUserSchema = z.strictObject({
  ref: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a ref is 1–64 letters, digits, "_", "." or "-"')
    .describe('A stable handle for this user'),
  displayName: z.string().min(1).max(64).optional(),
  lang: z
    .string()
    .regex(/^[a-z]{2}(-[A-Za-z]{2,4})?$/)
    .optional(),
  balanceCents: z.number().int().min(0).max(1e12).optional().describe('The balance to have; the difference is posted to the ledger'),
  banned: z.boolean().optional(),
  keys: z.array(SeedKeySchema).max(10).optional(),
});

export const SeedFileSchema = z.strictObject({
  users: z.array(SeedUserSchema).default([]),
  pricing: z.strictObject({ rules: z.array(schemas.PricingRuleSchema) }).optional(),
  catalogue: CatalogueOverridesSchema.optional(),
});

export type SeedFile = z.output<typeof SeedFileSchema>;
