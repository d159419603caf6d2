/**
 * Serves the built console (index.html and its hashed assets) at `/` and `/assets/`, from the
 * folder @jiema/console ships, with a Content-Security-Policy that allows only this server's own
 * scripts, styles and connections: no inline script, nothing from another host (docs/decisions.md
 * D112). Anything else falls through to the API, so unknown paths keep their JSON 404.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResult } from '../http/envelope.js';

const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  json: 'application/json; charset=utf-8',
};

export type AssetHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createConsoleAssets(dir: string): AssetHandler {
  const cache = new Map<string, Buffer | null>();
  const read = (file: string): Buffer | null => {
    let hit = cache.get(file);
    if (hit === undefined) {
      try {
        hit = readFileSync(join(dir, file));
      } catch {
        hit = null;
      }
      cache.set(file, hit);
    }
    return hit;
  };
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    let file: string;
    let headers: Record<string, string>;
    if (path === '/' || path === '/index.html') {
      file = 'index.html';
      headers = { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CONSOLE_CSP, 'Cache-Control': 'no-cache' };
    } else {
      const m = /^\/assets\/([\w.-]+\.(\w+))$/.exec(path);
      if (!m || !TYPES[m[2]!]) return false;
      file = `assets/${m[1]}`;
      // Asset names carry a hash of their content.
      headers = { 'Content-Type': TYPES[m[2]!]!, 'Cache-Control': 'public, max-age=31536000, immutable' };
    }
    const body = read(file);
    if (body === null) {
      if (file !== 'index.html') return false;
      const missing = errorResult('NOT_FOUND', `The console's files are missing from ${dir}; build them with \`npx -y pnpm@10 build\`.`);
      const text = JSON.stringify(missing.body);
      res.writeHead(missing.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return true;
    }
    res.writeHead(200, { ...COMMON, ...headers, 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
