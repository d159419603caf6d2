/**
 * `--config jiema.yaml` (docs/decisions.md D105): a YAML or JSON file of settings whose keys are
 * the flags' names (`port`, `upstream-url`; `upstream_url` and `upstreamUrl` are read too). Each
 * command takes the keys it has flags for; a key no command has, or a value of the wrong type, is
 * an error at its file:line:col. Precedence: a flag, then its JIEMA_* variable, then the file,
 * then the built-in default.
 */
import { readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { CliError, EXIT } from './output.js';

interface ConfigEntry {
  value: unknown;
  /** `file:line:col` of the value, for messages. */
  where: string;
  /** `file:line:col` of the key. */
  keyWhere: string;
}

export interface ConfigFile {
  path: string;
  entries: Map<string, ConfigEntry>;
}

/** The --config flag's value (`--config f`, `--config=f`), else JIEMA_CONFIG, else none. */
export function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--config') return argv[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
  }
  return env.JIEMA_CONFIG || undefined;
}

const toFlagName = (key: string) =>
  key
    .replace(/_/g, '-')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();

export function loadConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(
      `${path}: cannot read the configuration file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      EXIT.USAGE,
    );
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return `${path}:${p.line}:${p.col}`;
  };
  if (doc.errors.length > 0) throw new CliError(`${at(doc.errors[0]!.pos[0])}: ${doc.errors[0]!.message.split('\n')[0]}`, EXIT.USAGE);
  const entries = new Map<string, ConfigEntry>();
  if (doc.contents === null) return { path, entries };
  if (!isMap(doc.contents))
    throw new CliError(
      `${at(doc.contents.range?.[0] ?? 0)}: the configuration must be a mapping of settings (port: 8787), one per line.`,
      EXIT.USAGE,
    );
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const keyAt = at((pair.key as unknown as { range?: [number] } | null)?.range?.[0] ?? 0);
    if (key === undefined) throw new CliError(`${keyAt}: a setting's name must be plain text.`, EXIT.USAGE);
    const name = toFlagName(key);
    if (entries.has(name)) throw new CliError(`${keyAt}: "${key}" is set twice.`, EXIT.USAGE);
    const node = pair.value as unknown as { range?: [number]; toJSON?: () => unknown } | null;
    const value = isScalar(node) ? node.value : node && typeof node.toJSON === 'function' ? node.toJSON() : null;
    entries.set(name, {
      value,
      keyWhere: keyAt,
      where: at(node?.range?.[0] ?? (pair.key as unknown as { range?: [number] }).range?.[0] ?? 0),
    });
  }
  warnIfSecretsExposed(path, entries);
  return { path, entries };
}

function warnIfSecretsExposed(path: string, entries: Map<string, ConfigEntry>): void {
  const secrets = [...entries.keys()].filter((k) => /key|token|secret|password/.test(k));
  if (secrets.length === 0) return;
  try {
    if ((statSync(path).mode & 0o077) !== 0)
      process.stderr.write(`jiema: warning: ${path} holds ${secrets.join(', ')} but others may read it; chmod 600 ${path}\n`);
  } catch {
    // read a moment ago: nothing more to say
  }
}

export interface OptionTypes {
  key: Record<string, unknown>;
  number: string[];
  boolean: string[];
  array: string[];
  choices: Record<string, readonly unknown[]>;
}

/**
 * The file's values for the options a command declares, checked against their types. A key that
 * no command has (`allNames`) is refused, with the nearest real name when there is one.
 */
export function configDefaults(config: ConfigFile, o: OptionTypes, allNames: ReadonlySet<string>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, { value, where, keyWhere }] of config.entries) {
    if (name === 'config') throw new CliError(`${keyWhere}: a configuration file cannot name another one.`, EXIT.USAGE);
    if (!allNames.has(name)) {
      const near = nearest(name, allNames);
      throw new CliError(
        `${keyWhere}: unknown setting "${name}"${near ? `; did you mean "${near}"?` : ''} (the settings are the flags' names; see jiema <command> --help).`,
        EXIT.USAGE,
      );
    }
    if (!(name in o.key)) continue; // another command's setting
    const shown = JSON.stringify(value);
    const bad = (what: string) => new CliError(`${where}: ${name} must be ${what}, got ${shown}.`, EXIT.USAGE);
    if (value === null || value === undefined) throw bad('a value');
    let v: unknown = value;
    if (o.boolean.includes(name)) {
      if (typeof value !== 'boolean') throw bad('true or false');
    } else if (o.number.includes(name)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('a number');
    } else if (o.array.includes(name)) {
      v = Array.isArray(value) ? value.map(String) : String(value).split(/\s+/).filter(Boolean);
    } else {
      if (typeof value === 'object') throw bad('a single value');
      v = String(value);
    }
    const choices = o.choices[name];
    if (choices && !choices.includes(v)) throw bad(`one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
    out.set(name, v);
  }
  return out;
}

function nearest(name: string, names: ReadonlySet<string>): string | undefined {
  let best: { n: string; d: number } | undefined;
  for (const n of names) {
    const d = distance(name, n);
    if (d <= 2 && (!best || d < best.d)) best = { n, d };
  }
  return best?.n;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
