/**
 * Matching responses against expectations, for values nobody controls. An expected object lists
 * only the keys it cares about; arrays match element by element; strings beginning with "$" are
 * matchers:
 *
 *   $any  $absent  $string  $number  $boolean  $null  $nonempty
 *   $id (a jiema id)  $phone (+digits)  $code (4–8 digits)  $iso (an ISO time)  $cents (integer string)
 *   $regex:<pattern>  $contains:<text>  $len:<n>  $gt:<n>  $lt:<n>
 *
 * A literal string that starts with "$" is written "$$…".
 */
export interface Mismatch {
  path: string;
  expected: string;
  actual: string;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v)?.slice(0, 200) ?? String(v)));

const SIMPLE: Record<string, (v: unknown) => boolean> = {
  $any: (v) => v !== undefined,
  $string: (v) => typeof v === 'string',
  $number: (v) => typeof v === 'number',
  $boolean: (v) => typeof v === 'boolean',
  $null: (v) => v === null,
  $nonempty: (v) => (typeof v === 'string' || Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined),
  $id: (v) => typeof v === 'string' && /^[a-z]{2,3}[0-9a-z]{20,}$/.test(v),
  $phone: (v) => typeof v === 'string' && /^\+\d{6,15}$/.test(v),
  $code: (v) => typeof v === 'string' && /^\d{4,8}$/.test(v),
  $iso: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v) && !Number.isNaN(Date.parse(v)),
  $cents: (v) => typeof v === 'string' && /^-?\d+$/.test(v),
};

function matcher(pattern: string, actual: unknown): boolean | undefined {
  if (!pattern.startsWith('$') || pattern.startsWith('$$')) return undefined;
  const simple = SIMPLE[pattern];
  if (simple) return simple(actual);
  const [name, ...rest] = pattern.split(':');
  const arg = rest.join(':');
  switch (name) {
    case '$regex':
      return typeof actual === 'string' && new RegExp(arg).test(actual);
    case '$contains':
      return typeof actual === 'string' ? actual.includes(arg) : Array.isArray(actual) && actual.some((x) => x === arg);
    case '$len':
      return (typeof actual === 'string' || Array.isArray(actual)) && actual.length === Number(arg);
    case '$gt':
      return Number(actual) > Number(arg);
    case '$lt':
      return Number(actual) < Number(arg);
    default:
      return undefined;
  }
}

const WITH_ARGUMENT = ['$regex', '$contains', '$len', '$gt', '$lt'] as const;
/** Every matcher's name, for messages. */
const MATCHERS = ['$absent', ...Object.keys(SIMPLE), ...WITH_ARGUMENT.map((m) => `${m}:…`)];

/**
 * Why a "$…" string is not a matcher this version knows, or undefined when it is one (or is not
 * a matcher at all). A scenario with such a string is refused when it loads (docs/decisions.md D74):
 * compared as literal text it could only ever fail, or worse, pass by accident.
 */
function matcherProblem(pattern: string): string | undefined {
  if (!pattern.startsWith('$') || pattern.startsWith('$$')) return undefined;
  if (pattern === '$absent' || pattern in SIMPLE) return undefined;
  // {{name}} may build an argument at run time: only the matcher's name is checked then.
  const [name, ...rest] = pattern.split(':');
  const arg = rest.join(':');
  if (!(WITH_ARGUMENT as readonly string[]).includes(name!)) {
    return `unknown matcher ${JSON.stringify(pattern)} (known: ${MATCHERS.join(' ')}; write "$$…" for a literal "$")`;
  }
  if (rest.length === 0) return `${name} needs an argument: ${name}:…`;
  if (arg.includes('{{')) return undefined;
  if (name === '$regex') {
    try {
      new RegExp(arg);
    } catch (err) {
      return `${name}: not a valid regular expression (${(err as Error).message})`;
    }
  }
  if ((name === '$len' || name === '$gt' || name === '$lt') && !Number.isFinite(Number(arg)))
    return `${name} takes a number, got ${JSON.stringify(arg)}`;
  return undefined;
}

/** Every "$…" string inside an expected value that is not a known matcher, with its path. */
export function matcherProblems(expected: unknown, path: Array<string | number>): Array<{ path: Array<string | number>; message: string }> {
  if (typeof expected === 'string') {
    const problem = matcherProblem(expected);
    return problem ? [{ path, message: problem }] : [];
  }
  if (Array.isArray(expected)) return expected.flatMap((e, i) => matcherProblems(e, [...path, i]));
  if (expected !== null && typeof expected === 'object')
    return Object.entries(expected).flatMap(([k, e]) => matcherProblems(e, [...path, k]));
  return [];
}

export function match(expected: unknown, actual: unknown, path = ''): Mismatch[] {
  if (typeof expected === 'string') {
    if (expected === '$absent') return actual === undefined ? [] : [{ path, expected: 'no value', actual: show(actual) }];
    const m = matcher(expected, actual);
    if (m !== undefined) return m ? [] : [{ path, expected: expected, actual: show(actual) }];
    const literal = expected.startsWith('$$') ? expected.slice(1) : expected;
    return actual === literal ? [] : [{ path, expected: show(literal), actual: show(actual) }];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [{ path, expected: 'an array', actual: show(actual) }];
    if (actual.length !== expected.length)
      return [{ path, expected: `${expected.length} item(s)`, actual: `${actual.length} item(s): ${show(actual)}` }];
    return expected.flatMap((e, i) => match(e, actual[i], `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [{ path, expected: 'an object', actual: show(actual) }];
    return Object.entries(expected).flatMap(([k, e]) => match(e, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return Object.is(expected, actual) ? [] : [{ path, expected: show(expected), actual: show(actual) }];
}

/** Reads a dot path ("data.items[0].id" or "data.items.0.id") from a value. */
export function pick(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Replaces {{name}} in every string inside a value; an unknown name is an error. */
export function interpolate<T>(value: T, vars: Record<string, unknown>): T {
  if (typeof value === 'string') {
    const whole = /^\{\{(\w+)\}\}$/.exec(value);
    if (whole) {
      if (!(whole[1]! in vars)) throw new Error(`{{${whole[1]}}} is not captured yet`);
      return vars[whole[1]!] as T;
    }
    return value.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      if (!(name in vars)) throw new Error(`{{${name}}} is not captured yet`);
      return String(vars[name]);
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => interpolate(v, vars)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)])) as T;
  return value;
}
