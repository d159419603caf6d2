/**
 * Publishing rules every package must keep, whatever it adds later (issue #19 item 3,
 * docs/decisions.md D60–D63): complete metadata, entry points with types/import/require that exist
 * in the tarball, a tarball without stray files and with source maps that resolve, a dependency
 * (or peer dependency) for every package its public .d.ts files mention — and for its types when
 * it ships none — no runtime read outside the package, and a CHANGELOG. Needs the build.
 */
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const root = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
const packages = readdirSync(join(REPO, 'packages')).filter((d) => existsSync(join(REPO, 'packages', d, 'package.json')));

interface Manifest {
  name: string;
  version: string;
  description?: string;
  license?: string;
  repository?: { type: string; url: string; directory: string };
  engines?: { node?: string };
  exports?: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
  main?: string;
  types?: string;
  files?: string[];
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = (pkg: string): Manifest => JSON.parse(readFileSync(join(REPO, 'packages', pkg, 'package.json'), 'utf8')) as Manifest;

const packed = new Map<string, string[]>();
/** The files `npm pack` would put in the tarball (the same list pnpm pack uses). */
function packList(pkg: string): string[] {
  let files = packed.get(pkg);
  if (!files) {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: join(REPO, 'packages', pkg),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    packed.set(pkg, files);
  }
  return files;
}

function walk(dir: string, keep: (f: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(keep)
    .map((f) => join(dir, f));
}

const BUILTINS = new Set(builtinModules);
/** The package a bare import specifier names: `@scope/name/sub` → `@scope/name`; builtins → `@types/node`. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/')) return undefined;
  if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!)) return '@types/node';
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Every package the published declaration files of a package import or reference. */
function declarationImports(pkg: string): Set<string> {
  const found = new Set<string>();
  for (const file of walk(join(REPO, 'packages', pkg, 'dist'), (f) => /\.d\.[cm]?ts$/.test(f))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm)) {
      const p = packageOf(m[1]!);
      if (p) found.add(p);
    }
    for (const m of text.matchAll(/\/\/\/\s*<reference\s+types=["']([^"']+)["']/g)) {
      const p = m[1] === 'node' ? '@types/node' : packageOf(m[1]!);
      if (p) found.add(p);
    }
  }
  return found;
}

/**
 * Whether TypeScript finds a dependency's declarations in the dependency itself (else it needs
 * its @types package): resolved as a consumer's NodeNext program would, from the package's dist.
 */
function shipsTypes(pkg: string, dep: string): boolean {
  const from = join(REPO, 'packages', pkg, 'dist', 'index.d.ts');
  const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [] };
  const resolved = ts.resolveModuleName(dep, from, options, ts.sys, undefined, undefined, ts.ModuleKind.ESNext).resolvedModule;
  return (
    resolved !== undefined &&
    /\.d\.[cm]?ts$/.test(resolved.resolvedFileName) &&
    !resolved.resolvedFileName.includes(`${join('node_modules', '@types')}`)
  );
}

/** `@types` package name for a dependency: `@scope/name` → `@types/scope__name`. */
const typesPackage = (dep: string): string => `@types/${dep.startsWith('@') ? dep.slice(1).replace('/', '__') : dep}`;

describe.each(packages)('packages/%s', (pkg) => {
  const m = manifest(pkg);
  const dir = join(REPO, 'packages', pkg);

  it('has the metadata a registry page needs, and the engines the CI tests', () => {
    expect(m.name).toBe(`@jiema/${pkg}`);
    expect(m.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.description?.length).toBeGreaterThan(20);
    expect(m.license).toBe('MIT');
    expect(m.repository).toMatchObject({ type: 'git', directory: `packages/${pkg}` });
    expect(m.engines?.node).toBe(root.engines.node);
    expect(m.private).toBeUndefined();
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
    expect(existsSync(join(dir, 'CHANGELOG.md'))).toBe(true);
    expect(existsSync(join(dir, 'LICENSE'))).toBe(true);
  });

  it('declares types, import and require for every code entry point, each in the tarball', () => {
    const files = new Set(packList(pkg));
    const shipped = (target: string): boolean => files.has(posix.normalize(target));
    expect(m.exports).toBeDefined();
    for (const [sub, entry] of Object.entries(m.exports!)) {
      if (typeof entry === 'string') {
        expect(shipped(entry) || sub === './package.json', `${sub} → ${entry}`).toBe(true);
        continue;
      }
      const flat = JSON.stringify(entry);
      // Conditions are matched in order: types first, so TypeScript never picks a .js.
      expect(Object.keys(entry)[0], `${sub}: the first condition`).toMatch(/^(types|import)$/);
      expect(flat, `${sub}: types`).toContain('"types"');
      expect(flat, `${sub}: import`).toContain('"import"');
      expect(flat, `${sub}: require`).toContain('"require"');
      for (const target of flat.match(/"\.\/[^"]+"/g) ?? []) expect(shipped(JSON.parse(target) as string), `${sub} → ${target}`).toBe(true);
    }
    for (const target of [m.main, m.types, ...Object.values(m.bin ?? {})].filter((t): t is string => t !== undefined)) {
      expect(shipped(target), target).toBe(true);
    }
  });

  it('ships no build state, tests or stray files, and source maps whose sources are shipped', () => {
    const files = packList(pkg);
    expect(files.filter((f) => /\.tsbuildinfo$|\.test\.[cm]?[jt]s$|(^|\/)test\/|(^|\/)node_modules\/|\.log$/.test(f))).toEqual([]);
    const top = new Set(files.map((f) => f.split('/')[0]));
    for (const f of top)
      expect(['dist', 'src', 'assets', 'data', 'schemas', 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'], f).toContain(f);
    const set = new Set(files);
    const unresolved: string[] = [];
    for (const map of files.filter((f) => f.endsWith('.map'))) {
      const json = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const source of json.sources) {
        const target = posix.normalize(posix.join(posix.dirname(map), json.sourceRoot ?? '', source));
        if (!set.has(target)) unresolved.push(`${map} → ${source}`);
      }
    }
    expect(unresolved).toEqual([]);
  });

  it('depends (or peer-depends) on every package its public .d.ts files mention, and on its types', () => {
    const deps = { ...m.dependencies, ...m.peerDependencies };
    const missing: string[] = [];
    for (const used of declarationImports(pkg)) {
      if (used === m.name) continue;
      if (!(used in deps)) {
        missing.push(`${used} (mentioned in dist/**/*.d.ts)`);
        continue;
      }
      if (used !== '@types/node' && !used.startsWith('@types/') && !shipsTypes(pkg, used) && !(typesPackage(used) in deps)) {
        missing.push(`${typesPackage(used)} (the types of ${used})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('reads nothing at run time from outside its own folder', () => {
    const escapes: string[] = [];
    for (const file of walk(join(dir, 'src'), (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) {
        const target = resolve(dirname(file), m[1]!);
        if (relative(dir, target).startsWith('..')) escapes.push(`${relative(REPO, file)}: ${m[1]}`);
      }
    }
    expect(escapes).toEqual([]);
  });
});
