/**
 * The OpenAPI document as generators and integrators read it: operation ids, extensions marked,
 * the errors each operation can give (derived from the pipeline), bodies that are optional where
 * the API takes none — and the response validator that holds the server to it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApi } from '../src/http/openapi.js';
import { defineRoute, type Route } from '../src/http/route.js';
import { ok } from '../src/http/envelope.js';
import { operationErrors } from '../src/http/openapi-errors.js';
import type { ResponseViolation } from '../src/http/response-validator.js';
import { publicRoutes } from '../src/http/public-routes.js';
import { startTestServer, useTestServer } from '../src/testing.js';

type Json = Record<string, any>;
const s = useTestServer();
let doc: Json;

beforeEach(async () => {
  doc = (await s.call('GET', '/api/v1/openapi.json')).body;
});

const operations = (d: Json): Array<[string, string, Json]> =>
  Object.entries(d.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]) => [method, path, op as Json] as [string, string, Json]),
  );

describe('the OpenAPI document', () => {
  it('names every operation with a unique lowerCamelCase operationId', () => {
    const ids = operations(doc).map(([, , op]) => op.operationId as string);
    expect(ids.length).toBeGreaterThanOrEqual(26);
    expect(ids.every((id) => /^[a-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/api/v1/orders/{id}/cancel'].post.operationId).toBe('cancelOrder');
  });

  it('refuses to build a document from a route table with a duplicate or malformed operationId', () => {
    const route = publicRoutes[0]!;
    expect(() => buildOpenApi([route, { ...route, path: '/x' }], { version: '1' })).toThrow(/used twice/);
    expect(() => buildOpenApi([{ ...route, operationId: 'Get account' }], { version: '1' })).toThrow(/lowerCamelCase/);
  });

  it("leaves jiema.my's nine v1 operations unmarked and marks every other one as an extension", () => {
    const unmarked = operations(doc)
      .filter(([, , op]) => !op['x-jiema-extension'])
      .map(([m, p]) => `${m.toUpperCase()} ${p}`);
    expect(unmarked.sort()).toEqual(
      [
        'GET /api/v1/account',
        'GET /api/v1/services',
        'GET /api/v1/countries',
        'GET /api/v1/prices',
        'POST /api/v1/orders',
        'GET /api/v1/orders/{id}',
        'POST /api/v1/orders/{id}/cancel',
        'POST /api/v1/orders/{id}/next-sms',
        'GET /api/v1/orders',
      ].sort(),
    );
    for (const [, , op] of operations(doc).filter(([, , o]) => o['x-jiema-extension']))
      expect(op.description).toMatch(/^\*\*Extension:\*\*/);
    const idem = doc.paths['/api/v1/orders'].post.parameters.find((p: Json) => p.name === 'Idempotency-Key');
    expect(idem['x-jiema-extension']).toBe(true);
    expect(doc.components.schemas.Order.properties.smsCode['x-jiema-extension']).toBe(true);
    expect(doc.info.license.identifier).toBe('MIT');
    expect(doc.servers[0].url).toBe('/');
  });

  it('takes no required body on cancel and next-sms, and a required one on create', () => {
    expect(doc.paths['/api/v1/orders/{id}/cancel'].post.requestBody.required).toBe(false);
    expect(doc.paths['/api/v1/orders/{id}/next-sms'].post.requestBody.required).toBe(false);
    expect(doc.paths['/api/v1/orders'].post.requestBody.required).toBe(true);
  });

  it('lists the errors the pipeline adds to each operation: auth, rate limits, idempotency, ids, body parsing', () => {
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses);
    expect(statuses('/api/v1/account', 'get')).toEqual(['200', '400', '401', '403', '408', '413', '415', '429', '500', '503']);
    expect(statuses('/api/v1/orders', 'post')).toEqual([
      '200',
      '400',
      '401',
      '403',
      '408',
      '409',
      '413',
      '415',
      '422',
      '429',
      '500',
      '503',
    ]);
    expect(statuses('/api/v1/orders/{id}', 'get')).toContain('404');
    expect(statuses('/healthz', 'get')).toEqual(['200', '400', '408', '413', '415', '500']);
    // Admin routes: no ban, no per-key limit; the failed-authentication limiter still applies.
    expect(statuses('/admin/v1/pricing', 'get')).toEqual(['200', '400', '401', '408', '413', '415', '429', '500', '503']);
    expect(statuses('/admin/v1/users', 'post')).toContain('201');
    const cancel400 = doc.paths['/api/v1/orders/{id}/cancel'].post.responses['400'];
    expect(cancel400.content['application/json'].schema.properties.code.enum).toEqual(['BAD_REQUEST', 'CODE_RECEIVED', 'ALREADY_CHANGED']);
  });

  it('derives the codes from the route: a new authenticated, rate-limited, idempotent route gets them all', () => {
    const route = defineRoute({
      method: 'POST',
      path: '/api/v1/things/:id',
      operationId: 'createThing',
      auth: 'user',
      rateClass: 'write',
      idempotent: true,
      tag: 'public',
      summary: 'x',
      response: z.object({}),
      errors: [],
      handler: () => ok({}),
    });
    expect(operationErrors(route)).toEqual([
      'AUTH_MISSING',
      'AUTH_INVALID',
      'FORBIDDEN',
      'BAD_REQUEST',
      'NOT_FOUND',
      'IDEMPOTENCY_IN_PROGRESS',
      'REQUEST_TIMEOUT',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'IDEMPOTENCY_MISMATCH',
      'RATE_LIMITED',
      'INTERNAL',
      'STORAGE_UNAVAILABLE',
    ]);
  });

  it('shows examples recorded from a real server', () => {
    const create = doc.paths['/api/v1/orders'].post;
    expect(create.requestBody.content['application/json'].example).toEqual({ service: 'tg', country: 'my' });
    expect(create.responses['200'].content['application/json'].example.data).toMatchObject({
      status: 'WAITING',
      service: 'tg',
      country: '7',
    });
    expect(doc.components.responses.Unauthorized.content['application/json'].example.code).toBe('AUTH_MISSING');
  });
});

describe('the response validator', () => {
  /** Routes that answer what their definition does not say. */
  const liars: Route[] = [
    defineRoute({
      method: 'GET',
      path: '/api/v1/teapot',
      operationId: 'getTeapot',
      auth: 'none',
      tag: 'system',
      summary: 'x',
      response: z.object({ tea: z.string() }),
      errors: [],
      handler: () => ({ status: 418, body: { ok: true, data: { tea: 'green' } } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/shape',
      operationId: 'getShape',
      auth: 'none',
      tag: 'system',
      summary: 'x',
      response: z.object({ tea: z.string() }),
      errors: [],
      handler: () => ok({ tea: 42 }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/code',
      operationId: 'getCode',
      auth: 'none',
      tag: 'system',
      summary: 'x',
      response: z.object({}),
      errors: [],
      handler: () => ({ status: 400, body: { ok: false, code: 'BAD_SERVICE', message: 'x' } }),
    }),
  ];

  it('reports an undocumented status, a body that does not match, and an error code the operation does not list', async () => {
    const seen: ResponseViolation[] = [];
    const t = await startTestServer({ app: { extraRoutes: liars, validateResponses: (v) => seen.push(v) } });
    try {
      expect((await t.call('GET', '/api/v1/teapot')).status).toBe(418);
      expect((await t.call('GET', '/api/v1/shape')).status).toBe(200);
      expect((await t.call('GET', '/api/v1/code')).status).toBe(400);
      expect((await t.call('GET', '/healthz')).status).toBe(200);
      expect(seen.map((v) => [v.operationId, v.status])).toEqual([
        ['getTeapot', 418],
        ['getShape', 200],
        ['getCode', 400],
      ]);
      expect(seen[0]!.problem).toMatch(/status 418 is not documented/);
      expect(seen[1]!.problem).toMatch(/\/data\/tea must be string/);
      expect(seen[2]!.problem).toMatch(/\/code must be equal to one of the allowed values/);
    } finally {
      await t.close();
    }
  });

  it('is on in this test run, for every server a test starts', () => {
    expect(process.env.JIEMA_VALIDATE_RESPONSES).toBe('1');
    expect(process.env.JIEMA_RESPONSE_VIOLATIONS_DIR).toBeTruthy();
  });
});
