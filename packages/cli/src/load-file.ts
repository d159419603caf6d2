/**
 * Reads a YAML or JSON input file and validates it with a zod schema. Every problem is reported
 * as `file:line:col: path: problem` (or `file: path: problem`), written for a person.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { CliError, EXIT } from './output.js';

type DataPath = Array<string | number>;

/** A problem found after the schema passed (e.g. an unknown matcher), at a path in the file. */
export interface FileProblem {
  path: DataPath;
  message: string;
}

export interface LoadedFile<T> {
  data: T;
  /** `file:line:col` of the value at `path`, or `file` when the file does not say. */
  where(path: DataPath): string;
}

export function loadStructuredFile<T extends z.ZodType>(path: string, schema: T): z.output<T> {
  return loadStructuredFileAt(path, schema).data;
}

/** As loadStructuredFile, and keeps where each value is written; `check` finds further problems. */
export function loadStructuredFileAt<T extends z.ZodType>(
  path: string,
  schema: T,
  check?: (data: z.output<T>) => FileProblem[],
): LoadedFile<z.output<T>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'EISDIR: it is a folder' : (code ?? (err as Error).message);
    throw new CliError(`${path}: cannot read the file (${why}).`, EXIT.USAGE);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new CliError(`${path}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`, EXIT.USAGE);
  }
  const where = (p: DataPath): string => `${path}${position(doc, lines, p)}`;
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 10)
      .map((issue) => `${where(issue.path as DataPath)}: ${pathText(issue.path as DataPath)}: ${issue.message}`);
    throw new CliError(problems.join('\n'), EXIT.USAGE, parsed.error.issues);
  }
  const more = check?.(parsed.data) ?? [];
  if (more.length > 0) {
    throw new CliError(
      more
        .slice(0, 10)
        .map((p) => `${where(p.path)}: ${pathText(p.path)}: ${p.message}`)
        .join('\n'),
      EXIT.USAGE,
      more,
    );
  }
  return { data: parsed.data, where };
}

function pathText(path: DataPath): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '') || '(top level)'
  );
}

/** `:line:col` of the deepest node along `path` that the file has, or '' when none. */
function position(doc: Document, lines: LineCounter, path: DataPath): string {
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as { range?: [number, number, number] } | null | undefined;
    if (node?.range) {
      const p = lines.linePos(node.range[0]);
      return `:${p.line}:${p.col}`;
    }
  }
  return '';
}
