/**
 * The one SMS code extractor of the project (docs/decisions.md D48). Every path that shows a code —
 * the in-process simulator, the upstream adapters, the simulator's protocol facades — goes
 * through it, so the same SMS yields the same `smsCode` whichever way it arrived.
 */

/** The first run of 4–8 digits, allowing one space or dash inside ("123-456" reads as "123456"). */
export function extractCode(text: string): string | null {
  const m = /(?<![\d])(\d{3,4})[ -]?(\d{2,4})(?![\d])|(?<![\d])(\d{4,8})(?![\d])/.exec(text);
  if (!m) return null;
  return m[3] ?? `${m[1]}${m[2]}`;
}

/**
 * The code of an SMS as the engine records it: the code the upstream extracted when it gave one
 * (normalised the same way: "123-456" is "123456", a whole sentence yields the code in it), else
 * the code in the text.
 */
export function smsCode(given: string | null | undefined, text: string): string | null {
  const fromUpstream = given ? extractCode(given) : null;
  return fromUpstream ?? extractCode(text);
}
