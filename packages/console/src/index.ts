/**
 * @jiema/console: the web console `jiema serve` shows at `/`, prebuilt. This entry only says where
 * its files are; the server that serves them (with their Content-Security-Policy, sessions and
 * live feeds) is in @jiema/core (`createApp({ console })`). Its public API is this one name
 * (docs/decisions.md D155).
 */
import { fileURLToPath } from 'node:url';

/** The built console: `index.html` and `assets/`. */
export const consoleAssetsDir: string = fileURLToPath(new URL('./app/', import.meta.url));
