/**
 * The storage port holds (issue #15 item 1, docs/decisions.md D125): SQL appears only in the
 * stores (`*-store.ts`) and in core's `storage/` folder (opening, migrations, locks, backups, the
 * PostgreSQL copy), never in a service, a route, the simulator or the CLI; and the engine no
 * longer hands out its database.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** Source that speaks SQL: a statement prepared or run, or the text of one. */
const SQL = [
  /\.prepare\s*[<(]/,
  /\.exec\s*\(\s*['"`]/,
  /\.pragma\s*\(/,
  /\bSELECT\b[\s\S]{0,200}?\bFROM\s+[a-z_]+/,
  /\bINSERT\s+INTO\b/,
  /\bUPDATE\s+[a-z_]+\s+SET\b/,
  /\bDELETE\s+FROM\b/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const allowed = (file: string): boolean => file.endsWith('-store.ts') || file.startsWith('packages/core/src/storage/');

describe('the storage port', () => {
  const files = ['core', 'simulator', 'cli', 'sdk'].flatMap((pkg) => sourceFiles(join(REPO, 'packages', pkg, 'src')));

  it('keeps every SQL statement in a store or in storage/', () => {
    const offenders = files
      .map((path) => relative(REPO, path))
      .filter((file) => !allowed(file))
      .filter((file) => {
        const text = readFileSync(join(REPO, file), 'utf8');
        return SQL.some((re) => re.test(text));
      });
    expect(offenders).toEqual([]);
  });

  it('finds SQL where there is some (the check can fail)', () => {
    const stores = files.map((path) => relative(REPO, path)).filter(allowed);
    expect(stores.length).toBeGreaterThan(10);
    expect(stores.filter((file) => SQL.some((re) => re.test(readFileSync(join(REPO, file), 'utf8')))).length).toBeGreaterThan(10);
  });

  it('gives no database handle to the engine’s users', () => {
    const engine = readFileSync(join(REPO, 'packages/core/src/engine.ts'), 'utf8');
    const api = engine.slice(engine.indexOf('export interface Engine {'), engine.indexOf('export interface TickResult'));
    expect(api).not.toMatch(/^\s+db\s*:/m);
  });
});
