/**
 * Reads a YAML or JSON input file and validates it with a zod schema. Every problem is reported
 * as `file:line:col: path: problem` (or `file: path: problem`), written for a person.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CliError, EXIT } from './output.js';

export function loadStructuredFile<T extends z.ZodType>(path: string, schema: T): z.output<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, EXIT.USAGE);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new CliError(`${path}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`, EXIT.USAGE);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 10).map((issue) => {
    const path_ = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(top level)';
    const node = doc.getIn(issue.path as Array<string | number>, true) as { range?: [number, number, number] } | undefined;
    const where = node?.range ? (() => {
      const p = lines.linePos(node.range[0]);
      return `:${p.line}:${p.col}`;
    })() : '';
    return `${path}${where}: ${path_}: ${issue.message}`;
  });
  throw new CliError(problems.join('\n'), EXIT.USAGE, parsed.error.issues);
}
