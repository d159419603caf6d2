/**
 * @jiema/console: the web console `jiema serve` shows at `/`, prebuilt. This entry only says where
 * its files are; the server that serves them (with their Content-Security-Policy, sessions and
 * live feeds) is in @jiema/core (`createApp({ console })`).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built console: `index.html` and `assets/`. */
export const consoleAssetsDir: string = fileURLToPath(new URL('./app/', import.meta.url));

/** Whether the built files are there (a checkout that has not run the build has none). */
export function consoleIsBuilt(): boolean {
  return existsSync(`${consoleAssetsDir}index.html`);
}
