/**
 * Store contract tests (docs/decisions.md D125): each store interface is specified once, as a
 * contract run against every implementation of it. SQLite runs today; the PostgreSQL stores will
 * run the same contracts on a schema of their own (docs/decisions.md D124, D126).
 */
import { openDatabase } from '../../src/storage/database.js';
import { createPostgresStores, createSqliteStores, type Stores } from '../../src/storage/stores.js';
import { openPostgres } from '../../src/storage/postgres/open-postgres.js';
import { createTestSchema } from '../postgres.js';
import { usePerTest } from '../../src/testing/use-test-server.js';

export interface OpenedStores {
  stores: Stores;
  close(): void | Promise<void>;
}

/** One implementation of the storage port: opens a fresh, empty, migrated database each time. */
export interface StoreHarness {
  name: string;
  open(): OpenedStores | Promise<OpenedStores>;
}

export const SQLITE: StoreHarness = {
  name: 'SQLite',
  open() {
    const db = openDatabase({ path: ':memory:', synchronous: 'OFF' });
    return {
      stores: createSqliteStores(db),
      close: () => {
        db.close();
      },
    };
  },
};

/** PostgreSQL (docs/decisions.md D127): a fresh schema per test on the test server (D124), migrated by the engine's opener. */
export const POSTGRES: StoreHarness = {
  name: 'PostgreSQL',
  async open() {
    const schema = await createTestSchema();
    const client = openPostgres(schema.url);
    return {
      stores: createPostgresStores(client),
      async close() {
        client.close();
        await schema.drop();
      },
    };
  },
};

/** Fresh stores for each test, closed after it (the test kit's usePerTest). */
export function useStores(h: StoreHarness): Stores {
  const closers = new Map<Stores, () => void | Promise<void>>();
  return usePerTest(
    async () => {
      const { stores, close } = await h.open();
      closers.set(stores, close);
      return stores;
    },
    async (stores) => {
      await closers.get(stores)?.();
      closers.delete(stores);
    },
  );
}
