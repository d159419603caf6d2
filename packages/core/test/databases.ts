/**
 * The two databases an engine runs on (docs/decisions.md D124, D127), for suites that run once
 * on each: `describe.each(DATABASES)('on $name', (database) => …)`. SQLite is an in-memory
 * database (or a file, for the suites that restart on it); PostgreSQL is a fresh schema on the
 * test server, dropped after the test. Either way `db` is what `createEngine({ db })` takes, and
 * a second engine opened on the same `db` sees what the first one stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usePerTest } from '../src/testing/use-test-server.js';
import { createTestSchema } from './postgres.js';

export interface TestDatabase {
  /** For `createEngine({ db })`: ':memory:', a SQLite file's path or a PostgreSQL URL. */
  db: string;
  drop(): Promise<void>;
}

export interface DatabaseKind {
  name: 'SQLite' | 'PostgreSQL';
  /**
   * A fresh, empty database. `persistent`: one that outlives the engine that opened it (a file
   * for SQLite; a PostgreSQL schema always does), for restarts and crashes.
   */
  create(options?: { persistent?: boolean }): Promise<TestDatabase>;
}

export const SQLITE_DATABASE: DatabaseKind = {
  name: 'SQLite',
  async create({ persistent = false } = {}) {
    if (!persistent) return { db: ':memory:', drop: async () => undefined };
    const dir = mkdtempSync(join(tmpdir(), 'jiema-db-'));
    return { db: join(dir, 'jiema.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

export const POSTGRES_DATABASE: DatabaseKind = {
  name: 'PostgreSQL',
  async create() {
    const schema = await createTestSchema();
    return { db: schema.url, drop: () => schema.drop() };
  },
};

export const DATABASES: DatabaseKind[] = [SQLITE_DATABASE, POSTGRES_DATABASE];

/**
 * A fresh database for each test of the calling file or `describe` block, dropped after it.
 * Call it before the hooks that open engines on it (`useTestServer(() => ({ db: database.db }))`):
 * vitest runs after-hooks in reverse order, so the engines are closed before the drop.
 */
export function useTestDatabase(kind: DatabaseKind, options?: { persistent?: boolean }): TestDatabase {
  return usePerTest(
    () => kind.create(options),
    (d) => d.drop(),
  );
}
