/**
 * `jiema backup <file>` and `jiema restore <file>` (docs/decisions.md D104): an online, consistent
 * copy of a server's database taken while it serves, and a restore that refuses while a server
 * holds the database. docs/operations.md has the restore drill.
 */
import { resolve } from 'node:path';
import { backupDatabase, BackupError, DatabaseLockedError, isPostgresUrl, restoreDatabase, type DatabaseSummary } from '@jiema/core';
import { DEFAULT_DB } from '../local-state.js';
import { CliError, EXIT } from '../output.js';
import type { Command } from './command.js';

const describeSummary = (s: DatabaseSummary) =>
  `${s.users} user(s), ${s.orders} order(s), ${s.ledgerRows} ledger row(s), ${(s.bytes / 1024).toFixed(0)} KiB${s.latestAt !== null ? `, latest activity ${new Date(s.latestAt).toISOString()}` : ''}`;

function failure(err: unknown): never {
  if (err instanceof BackupError) throw new CliError(err.message, EXIT.FAILED);
  if (err instanceof DatabaseLockedError)
    throw new CliError(`${err.inUse} Stop that server first: a restore never replaces a database in use.`, EXIT.FAILED);
  throw err;
}

export const backupCommand: Command = {
  command: 'backup <file>',
  describe: "Copy a server's database to <file>, consistently, while it serves (SQLite's online backup; mode 0600)",
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'Where to write the backup' })
      .option('db', { type: 'string', default: DEFAULT_DB, describe: 'The database to back up' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace <file> if it exists' })
      .example(
        '$0 backup /var/backups/jiema/$(date +%F).db --db /var/lib/jiema/jiema.db',
        'A dated backup of a production server, while it runs',
      ),
  handler: async (args, out) => {
    process.umask(0o077);
    refusePostgres(args.db as string, 'backup');
    const file = resolve(args.file as string);
    const summary = await backupDatabase(resolve(args.db as string), file, { overwrite: args.force as boolean }).catch(failure);
    out.data({ file, ...summary }, () =>
      out.line(`Backed up ${args.db as string} to ${file} (${describeSummary(summary)}); checked intact.`),
    );
  },
};

export const restoreCommand: Command = {
  command: 'restore <file>',
  describe: 'Replace a stopped server’s database with a backup; refuses while a server holds the database',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'The backup to restore' })
      .option('db', { type: 'string', default: DEFAULT_DB, describe: 'The database to replace' })
      .example(
        '$0 restore /var/backups/jiema/2026-12-01.db --db /var/lib/jiema/jiema.db',
        'Stop the server first; the replaced database is kept beside it',
      ),
  handler: async (args, out) => {
    process.umask(0o077);
    refusePostgres(args.db as string, 'restore');
    const db = resolve(args.db as string);
    const r = await restoreDatabase(resolve(args.file as string), db).catch(failure);
    out.data({ db, ...r }, () => {
      out.line(`Restored ${args.file as string} into ${db} (${describeSummary(r)}).`);
      if (r.previous) out.line(`The database it replaced is kept as ${r.previous}.`);
      out.line(`Next: start the server on it (jiema serve --db ${args.db as string}), then check GET /admin/v1/invariants.`);
    });
  },
};

/** A PostgreSQL database is backed up and restored with PostgreSQL's own tools (docs/scaling.md). */
function refusePostgres(db: string, what: 'backup' | 'restore'): void {
  if (isPostgresUrl(db))
    throw new CliError(
      `jiema ${what} works on a SQLite file. For PostgreSQL use its own tools (${what === 'backup' ? "pg_dump, or the server's base backups and WAL archive" : 'pg_restore, or point-in-time recovery'}); see docs/scaling.md.`,
      EXIT.USAGE,
    );
}
