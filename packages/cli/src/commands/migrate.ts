/**
 * `jiema migrate --from x.db --to postgres://…` (docs/decisions.md D123): copies a stopped
 * server's SQLite database into an empty PostgreSQL database, checked before it commits.
 */
import { resolve } from 'node:path';
import {
  BackupError,
  checkPostgresUrl,
  copySqliteToPostgres,
  DatabaseLockedError,
  isPostgresUrl,
  PostgresError,
  PostgresUnreachableError,
  redactPostgresUrl,
} from '@jiema/core';
import { DEFAULT_DB } from '../local-state.js';
import { CliError, EXIT } from '../output.js';
import type { Command } from './command.js';

export const migrateCommand: Command = {
  command: 'migrate',
  describe: "Copy a stopped server's SQLite database into an empty PostgreSQL database, checked before it commits",
  builder: (y) =>
    y
      .option('from', { type: 'string', default: DEFAULT_DB, describe: 'The SQLite database file to copy' })
      .option('to', {
        type: 'string',
        demandOption: true,
        describe: 'The PostgreSQL URL (postgres://user@host:5432/database); the tables go in its first search_path schema',
      })
      .example('$0 migrate --from /var/lib/jiema/jiema.db --to postgres://jiema@db.internal:5432/jiema', 'Stop the server first')
      .example(
        "$0 migrate --from jiema.db --to 'postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Djiema'",
        'Into the schema "jiema" (create it first: CREATE SCHEMA jiema)',
      ),
  handler: async (args, out) => {
    const to = args.to as string;
    if (!isPostgresUrl(to)) throw new CliError('--to must be a PostgreSQL URL (postgres://user@host:5432/database).', EXIT.USAGE);
    try {
      checkPostgresUrl(to);
    } catch (err) {
      throw new CliError((err as Error).message, EXIT.USAGE);
    }
    const from = resolve(args.from as string);
    const target = redactPostgresUrl(to);
    if (!out.json) out.line(`Copying ${args.from as string} into ${target} …`);
    const result = await copySqliteToPostgres({
      from,
      to,
      onTable: (t) => {
        if (!out.json) out.line(`  ${t.table.padEnd(20)} ${String(t.rows).padStart(8)} row(s)`);
      },
    }).catch((err: unknown) => {
      if (err instanceof DatabaseLockedError)
        throw new CliError(`${err.inUse} Stop that server first: writes made after the copy would be lost.`);
      if (err instanceof PostgresUnreachableError) throw new CliError(err.message, EXIT.UNREACHABLE);
      if (err instanceof BackupError || err instanceof PostgresError) throw new CliError(err.message);
      throw err;
    });
    out.data({ from, to: target, ...result }, () => {
      const rows = result.tables.reduce((n, t) => n + t.rows, 0);
      out.line(
        `Copied ${rows} row(s) in ${result.tables.length} tables (schema ${result.schemaVersion}, balances ${result.balanceCents} cents) in ${(result.ms / 1000).toFixed(1)} s; counts, totals and the ledger invariant checked before commit.`,
      );
      out.line(`${args.from as string} is unchanged.`);
    });
  },
};
