/**
 * The browsable API reference at /docs (docs/decisions.md D87): Redoc's standalone bundle, shipped
 * inside this package (assets/redoc/), renders the server's own OpenAPI document. Nothing comes
 * from another host, and the Content-Security-Policy allows only what Redoc needs.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const DOCS_PATH = '/docs';
const ASSET_PATH = '/docs/redoc.standalone.js';
const ASSET = new URL('../../assets/redoc/redoc.standalone.js', import.meta.url);

/**
 * Redoc injects its styles (styled-components) and runs its search index in a worker made from a
 * blob; it fetches the document from this server. Everything else is refused.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "connect-src 'self'",
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface DocsPage {
  /** Where the page is served. */
  path: string;
  title: string;
  /** The OpenAPI document it renders. */
  specUrl: string;
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function html(page: DocsPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(page.title)}</title>
<link rel="icon" href="data:,">
</head>
<body style="margin:0">
<redoc spec-url="${escape(page.specUrl)}" expand-responses="200,201" required-props-first="true" path-in-middle-panel="true" hide-hostname="true"></redoc>
<script src="${ASSET_PATH}"></script>
</body>
</html>
`;
}

const common = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };

/**
 * A request handler for the pages and their one script; false when the request is for neither
 * (or not a GET or HEAD), so the caller answers it.
 */
export function createDocsHandler(pages: readonly DocsPage[]): (req: IncomingMessage, res: ServerResponse) => boolean {
  let script: Buffer | undefined;
  const rendered = new Map(pages.map((p) => [p.path, html(p)]));
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = (req.url ?? '/').split('?')[0]!;
    const page = rendered.get(path);
    if (page !== undefined) {
      res.writeHead(200, {
        ...common,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(page),
        'Content-Security-Policy': DOCS_CSP,
        'Cache-Control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : page);
      return true;
    }
    if (path === ASSET_PATH) {
      script ??= readFileSync(ASSET);
      res.writeHead(200, {
        ...common,
        'Content-Type': 'text/javascript; charset=utf-8',
        'Content-Length': script.length,
        'Cache-Control': 'public, max-age=86400',
      });
      res.end(req.method === 'HEAD' ? undefined : script);
      return true;
    }
    return false;
  };
}
