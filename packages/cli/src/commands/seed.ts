/**
 * `jiema seed <file>`: users, balances, keys, pricing rules and catalogue overrides from a YAML or
 * JSON file into a jiema database. Safe to run again: nothing changes the second time.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { isPostgresUrl } from '@jiema/core';
import { loadStructuredFile } from '../load-file.js';
import { DEFAULT_DB } from '../local-state.js';
import { dollars, table } from '../output.js';
import { applySeed } from '../seed/apply-seed.js';
import { SeedFileSchema } from '../seed/seed-schema.js';
import type { Command } from './command.js';

export const seedCommand: Command = {
  command: 'seed <file>',
  describe: 'Load users, balances, keys, pricing rules and catalogue overrides from a YAML or JSON file',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'The seed file (.yaml, .yml or .json)', demandOption: true })
      .option('db', {
        type: 'string',
        default: DEFAULT_DB,
        describe: 'The jiema database to seed: a SQLite file or a postgres:// URL (a running server sees the changes)',
      })
      .example('$0 seed fixtures/seed.example.yaml', 'Seed the local server in ./.jiema')
      .example('$0 seed team.yaml --db /var/lib/jiema/jiema.db --json', 'Seed a production database, machine-readable report'),
  handler: (args, out) => {
    const file = args.file as string;
    const seed = loadStructuredFile(file, SeedFileSchema);
    const postgres = isPostgresUrl(args.db as string);
    const dbPath = postgres ? (args.db as string) : resolve(args.db as string);
    const fresh = !postgres && !existsSync(dbPath);
    const result = applySeed(dbPath, seed, file);
    out.data(result, () => {
      if (fresh) out.line(`Created a new database at ${dbPath}.`);
      if (result.users.length) {
        out.line(
          table(
            result.users.map((u) => ({
              ref: u.ref,
              id: u.id,
              state: u.created ? 'created' : 'updated',
              balance: dollars(u.balanceCents),
              change: u.balanceChangeCents ? dollars(u.balanceChangeCents) : '-',
              keysAdded: u.keysAdded,
              banned: u.banned ? 'yes' : 'no',
            })),
            ['ref', 'id', 'state', 'balance', 'change', 'keysAdded', 'banned'],
          ),
        );
      }
      for (const u of result.users) for (const k of u.newKeys) out.line(`New key for ${u.ref} (${k.name}), shown only now: ${k.apiKey}`);
      if (result.pricingRules !== null) out.line(`Pricing: ${result.pricingRules} rule(s) in place.`);
      if (result.catalogueOverrides)
        out.line('Catalogue overrides stored (slugs and names apply within 5 minutes; simulator offers at its next start).');
    });
  },
};
