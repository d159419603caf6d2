/**
 * Store contract tests (docs/decisions.md D125): each store interface is specified once, as a
 * contract run against every implementation of it. SQLite runs today; the PostgreSQL stores will
 * run the same contracts on a schema of their own (docs/decisions.md D124, D126).
 */
import { openDatabase } from '../../src/storage/database.js';
import { createPostgresStores, createSqliteStores, type Stores } from '../../src/storage/stores.js';
import { openPostgres } from '../../src/storage/postgres/open-postgres.js';
import { createTestSchema } from '../postgres.js';
import pg from 'pg';
import { exactHit, RATE_HIT_SQL } from '../../src/http/postgres-rate-window-store.js';
import { translateParameters } from '../../src/storage/postgres/postgres-db.js';
import { usePerTest } from '../../src/testing/use-test-server.js';

export interface OpenedStores {
  stores: Stores;
  close(): void | Promise<void>;
}

/** One implementation of the storage port: opens a fresh, empty, migrated database each time. */
export interface StoreHarness {
  name: string;
  open(): OpenedStores | Promise<OpenedStores>;
  /**
   * Where several connections can hit one rate window at once (PostgreSQL; SQLite's windows are one
   * process's memory): sends `hits` hits on `key`, spread over `connections` connections, all in
   * flight together, with the store's own statement. Answers how many were counted.
   */
  concurrentHits?(stores: Stores, key: string, o: ConcurrentHits): Promise<number>;
}

export interface ConcurrentHits {
  connections: number;
  hits: number;
  now: number;
  windowMs: number;
  limit: number;
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

/** On the PostgreSQL harness's stores: their schema's URL, for the connections of concurrentHits. */
const SCHEMA_URL = Symbol('schemaUrl');

/** PostgreSQL (docs/decisions.md D127): a fresh schema per test on the test server (D124), migrated by the engine's opener. */
export const POSTGRES: StoreHarness = {
  name: 'PostgreSQL',
  async open() {
    const schema = await createTestSchema();
    const client = openPostgres(schema.url);
    const stores = createPostgresStores(client);
    Object.defineProperty(stores, SCHEMA_URL, { value: schema.url });
    return {
      stores,
      async close() {
        client.close();
        await schema.drop();
      },
    };
  },
  async concurrentHits(stores, key, o) {
    const { text, names } = translateParameters(RATE_HIT_SQL);
    const params: Record<string, unknown> = { ...exactHit(key, o.now, o.windowMs, o.limit) };
    const values = names!.map((n) => params[n]);
    const clients = Array.from(
      { length: o.connections },
      () => new pg.Client({ connectionString: (stores as unknown as Record<symbol, string>)[SCHEMA_URL] }),
    );
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const answers = await Promise.all(
        Array.from({ length: o.hits }, (_, i) => clients[i % clients.length]!.query<{ granted: string }>(text, values)),
      );
      return answers.filter((a) => Number(a.rows[0]!.granted) > 0).length;
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
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
