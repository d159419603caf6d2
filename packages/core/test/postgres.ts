/**
 * PostgreSQL for tests (docs/decisions.md D124): the server at JIEMA_TEST_POSTGRES_URL (default
 * postgres://postgres@127.0.0.1:5432/test, as on the development and CI machines), one fresh
 * schema per test, so runs never see each other. A test that needs PostgreSQL fails, never skips,
 * when the server cannot be reached.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_POSTGRES_URL = process.env.JIEMA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  schema: string;
  /** A URL whose connections use only this schema. */
  url: string;
  /** A connection to it (closed by drop). */
  client: pg.Client;
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const schema = `jiema_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `These tests need PostgreSQL at ${TEST_POSTGRES_URL} (set JIEMA_TEST_POSTGRES_URL): ${(err as Error).message || String(err)}`,
    );
  }
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = withSearchPath(TEST_POSTGRES_URL, schema);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    schema,
    url,
    client,
    async drop() {
      await client.end().catch(() => undefined);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** Ends, from the server's side, every session connected with this application_name (a process "dying"). */
export async function terminateSessions(applicationName: string): Promise<number> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    const r = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    return r.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}
