/**
 * API key handling: the only place the SDK looks at the key's text. Everything printable
 * (errors, hooks, toString, inspect) shows the masked form, the same hint the server keeps.
 */
export function maskApiKey(apiKey: string): string {
  const prefix = apiKey.startsWith('jm_') ? 'jm_' : '';
  return apiKey.length >= 12 ? `${prefix}…${apiKey.slice(-4)}` : `${prefix}…`;
}

/** Rejects a key that cannot go in a header, without ever echoing it. */
export function checkApiKey(apiKey: unknown): string {
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new TypeError('JiemaClient needs an apiKey: the "jm_…" key from your jiema account.');
  }
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new TypeError(`The apiKey ${maskApiKey(apiKey)} contains spaces or characters a header cannot carry.`);
  }
  return apiKey;
}
