/**
 * "Did you mean": the catalogue entries closest to a mistyped service or country, by edit
 * distance (a swap of two neighbouring letters counts as one edit) against each entry's code,
 * slug and name (docs/decisions.md D75).
 */

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export interface Suggestible {
  /** What the user should type instead (a slug or a code). */
  value: string;
  /** Every spelling that names this entry: code, slug, name. */
  names: string[];
  /** Shown beside the value, e.g. "Telegram". */
  label?: string;
}

/**
 * Up to `max` entries whose closest name is within a typo of `input` (1 edit for short words,
 * up to a third of the word), closest first; or whose name starts with it (3+ letters).
 */
function suggest(input: string, entries: Suggestible[], max = 3): Suggestible[] {
  const text = input.trim().toLowerCase();
  if (text === '') return [];
  const allowed = Math.max(1, Math.min(3, Math.floor(text.length / 3)));
  const scored: Array<{ entry: Suggestible; score: number }> = [];
  for (const entry of entries) {
    let best = Infinity;
    for (const name of entry.names) {
      const n = name.toLowerCase();
      const dist = editDistance(text, n);
      if (dist <= allowed) best = Math.min(best, dist);
      else if (text.length >= 3 && n.startsWith(text)) best = Math.min(best, allowed + 0.5);
    }
    if (best !== Infinity) scored.push({ entry, score: best });
  }
  return scored
    .sort((x, y) => x.score - y.score || x.entry.value.localeCompare(y.entry.value))
    .slice(0, max)
    .map((s) => s.entry);
}

/** ` Did you mean "telegram" (Telegram)?` or '' — to append to an error message. */
export function didYouMean(input: unknown, entries: Suggestible[]): string {
  if (typeof input !== 'string' && typeof input !== 'number') return '';
  const found = suggest(String(input), entries);
  if (found.length === 0) return '';
  const shown = found.map((e) => `"${e.value}"${e.label ? ` (${e.label})` : ''}`);
  return ` Did you mean ${shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`}?`;
}
