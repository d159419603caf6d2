/**
 * The OpenAPI 3.1 document, generated from the route table and the same zod schemas that
 * validate requests (never hand-written).
 */
import { z } from 'zod';
import { HTTP_STATUS } from '../errors/error-codes.js';
import type { Route } from './route.js';
import { ErrorEnvelope } from './schemas.js';

const json = (schema: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

export function buildOpenApi(routes: readonly Route[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (r.request?.query) {
      const q = json(r.request.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
      }
    }
    if (r.idempotent) {
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 }, description: 'Replays the first response for 24 h (docs/decisions.md D17)' });
    }
    const responses: Record<string, unknown> = {
      200: {
        description: 'OK',
        content: { 'application/json': { schema: json(z.object({ ok: z.literal(true), data: r.response }), 'output') } },
      },
    };
    const byStatus = new Map<number, string[]>();
    for (const code of r.errors) byStatus.set(HTTP_STATUS[code], [...(byStatus.get(HTTP_STATUS[code]) ?? []), code]);
    for (const [status, codes] of byStatus) {
      responses[status] = { description: codes.join(' / '), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      security: r.auth === 'user' ? [{ bearer: [] }, { apiKeyHeader: [] }] : r.auth === 'admin' ? [{ adminToken: [] }] : [],
      ...(parameters.length && { parameters }),
      ...(r.request?.body && { requestBody: { required: true, content: { 'application/json': { schema: json(r.request.body, 'input') } } } }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'jiema-compatible API', version: info.version, description: 'The jiema.my public API v1, plus the operators\u2019 admin API.' },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: json(ErrorEnvelope, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key, jm_…' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        adminToken: { type: 'apiKey', in: 'header', name: 'X-Admin-Token' },
      },
    },
  };
}
