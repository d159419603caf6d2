/**
 * Rewriting SQL text outside its quoted strings, quoted identifiers and `--` comments: the
 * parameter notation of the stores (`?`, `@name` → `$n`, D127) and values written in as literals
 * for statements sent several at a time (deferred writes, D127).
 */

/**
 * Copies `sql`, letting `at` rewrite what starts at each position outside quotes and comments:
 * it answers the replacement and the position after what it replaced, or undefined to copy the character.
 */
export function rewriteOutsideQuotes(sql: string, at: (i: number) => [string, number] | undefined): string {
  let out = '';
  for (let i = 0; i < sql.length;) {
    const c = sql[i]!;
    let stop: number;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      stop = end === -1 ? sql.length : end + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      stop = end === -1 ? sql.length : end;
    } else {
      const replaced = at(i);
      if (replaced) {
        out += replaced[0];
        i = replaced[1];
        continue;
      }
      stop = i + 1;
    }
    out += sql.slice(i, stop);
    i = stop;
  }
  return out;
}

/**
 * A value as PostgreSQL reads a parameter sent as text: a quoted literal of yet unknown type,
 * typed by its context as a parameter is. The stores bind strings, numbers and NULL (booleans and
 * bigints arrive as numbers and text).
 */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return `'${String(v)}'`;
  if (typeof v === 'boolean') return v ? "'1'" : "'0'";
  if (typeof v !== 'string') throw new TypeError(`A ${typeof v} cannot be written into a statement.`);
  const quoted = `'${v.replace(/'/g, "''")}'`;
  // With a backslash, the E'' form: its backslashes doubled, so each stands for itself.
  return v.includes('\\') ? `E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

/** `$1…` in a statement replaced by its values, written in as literals. */
export function inlineValues(text: string, values: readonly unknown[] | undefined): string {
  if (!values || values.length === 0) return text;
  return rewriteOutsideQuotes(text, (i) => {
    if (text[i] !== '$') return undefined;
    const m = /^\d+/.exec(text.slice(i + 1, i + 12));
    if (!m) return undefined;
    const n = Number(m[0]);
    if (n < 1 || n > values.length) throw new RangeError(`The statement has no value for $${n}: ${text}`);
    return [sqlLiteral(values[n - 1]), i + 1 + m[0].length];
  });
}
