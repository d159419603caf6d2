/**
 * The SDK against the OpenAPI document the server serves (issue #16): its wire types and its
 * error codes are written by hand (the SDK has no runtime dependency on core), so this test is
 * what keeps them from drifting. The types are compared by the TypeScript compiler: the served
 * document goes through openapi-typescript, and each SDK type must have exactly the schema's
 * keys and be assignable both ways. A deliberately wrong pair proves the check can fail.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@jiema/core';
import { startTestServer, type TestServer } from '@jiema/core/testing';
import { errorFromResponse } from '../src/errors/error-from-response.js';
import { API_ERROR_CODES, JiemaError, JiemaServerError, ORDER_STATUSES } from '../src/index.js';

const SDK_TYPES = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/esm/index.js');

interface Operation {
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { content?: Record<string, { schema?: unknown }> }>; schemas: Record<string, unknown> };
};

let server: TestServer;
let doc: Document;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as Document;
  dir = mkdtempSync(join(tmpdir(), 'jiema-sdk-drift-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'api.ts'), astToString(await openapiTS(doc as never)));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every (code, status) the document gives the operations an SDK method calls: /api/v1, not admin. */
function documentedErrors(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/') || path.endsWith('/openapi.json')) continue;
    for (const op of Object.values(ops)) {
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        if (Number(status) < 400) continue;
        const res = r.$ref ? doc.components.responses[r.$ref.split('/').pop()!]! : r;
        const schema = JSON.stringify(res.content?.['application/json']?.schema ?? {});
        for (const m of schema.matchAll(/"enum":(\[[^\]]*\])/g))
          for (const code of JSON.parse(m[1]!) as string[]) out.set(code, Number(status));
      }
    }
  }
  return out;
}

/** Type-checks `body` (with `api.ts` and the SDK's published types in scope); returns the errors. */
function typeErrors(body: string): string[] {
  const file = join(dir, `check-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    file,
    `import type { components } from './api.js';\nimport type * as sdk from ${JSON.stringify(SDK_TYPES)};\n` +
      `type S = components['schemas'];\n` +
      `type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? ([keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false) : false) : false;\n` +
      `${body}\n`,
  );
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    exactOptionalPropertyTypes: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

// SDK type ↔ the document's schema of the same wire object.
const PAIRS: ReadonlyArray<[string, string]> = [
  ['sdk.Account', "S['Account']"],
  ['sdk.Service', "S['ServiceItem']"],
  ['sdk.Country', "S['CountryItem']"],
  ['sdk.Price', "S['PriceItem']"],
  ['sdk.PriceList', "S['PriceList']"],
  ['sdk.Order', "S['Order']"],
  ['sdk.SmsMessage', "S['Order']['smsHistory'][number]"],
  ['sdk.OrderStatusResult', "S['OrderStatusResult']"],
  ['sdk.OrderPage', "S['OrderList']"],
  ['sdk.OrderStatus', "S['Order']['status']"],
];

describe('the SDK and the served OpenAPI document', () => {
  it('has a class for every error code the API documents, with the matching kind', () => {
    const documented = documentedErrors();
    expect(documented.size).toBeGreaterThan(10);
    const missing = [...documented.keys()].filter((c) => !(API_ERROR_CODES as readonly string[]).includes(c));
    expect(missing, 'documented error codes the SDK has no class for').toEqual([]);
    for (const [code, status] of documented) {
      const e = errorFromResponse({
        status,
        body: { ok: false, code, message: 'm' },
        headers: new Headers(),
        requestId: undefined,
        retryAfterMs: undefined,
      });
      expect(e.constructor, code).not.toBe(JiemaError);
      expect(e.code).toBe(code);
      if (status >= 500) expect(e, code).toBeInstanceOf(JiemaServerError);
    }
  });

  it('knows no error code that the server does not have', () => {
    const extra = API_ERROR_CODES.filter((c) => !(ERROR_CODES as readonly string[]).includes(c));
    expect(extra).toEqual([]);
  });

  it('lists the order statuses of the document, in its order', () => {
    const order = doc.components.schemas.Order as { properties: { status: { enum: string[] } } };
    expect([...ORDER_STATUSES]).toEqual(order.properties.status.enum);
  });

  it('has wire types with exactly the fields and types of the document’s schemas', () => {
    const body = PAIRS.map(([a, b], i) => `const check${i}: Same<${a}, ${b}> = true; void check${i};`).join('\n');
    expect(typeErrors(body)).toEqual([]);
  }, 60_000);

  it('would notice a drift: a wrong pair fails the same check', () => {
    const errors = typeErrors(
      `const wrong: Same<sdk.Order, S['OrderStatusResult']> = true; void wrong;\nconst extra: Same<sdk.Account & { more?: string }, S['Account']> = true; void extra;`,
    );
    expect(errors.length).toBe(2);
  }, 60_000);
});
