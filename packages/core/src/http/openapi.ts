/**
 * The OpenAPI 3.1 documents, generated from the route table and the same zod schemas that
 * validate requests (never hand-written): operation ids, tags, every error an operation can
 * answer with (openapi-errors.ts), examples recorded from a real server (`pnpm openapi`), and
 * everything beyond jiema.my's v1 API marked `x-jiema-extension` (docs/decisions.md D80–D84).
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors/error-codes.js';
import { codesWithStatus, ERROR_MEANINGS, errorsByStatus } from './openapi-errors.js';
import { HEADERS, SECURITY_SCHEMES, TAGS, type DocumentKind } from './openapi-texts.js';
import type { Route } from './route.js';
import * as S from './schemas.js';

/** Real requests and responses, by operationId and then by status (`pnpm openapi` records them). */
export type OpenApiExamples = Record<string, { request?: unknown; responses?: Record<string, unknown> }>;

export interface OpenApiOptions {
  version: string;
  /** `api` (default): the jiema API; `simulator`: the simulator's control API. */
  kind?: DocumentKind;
  examples?: OpenApiExamples;
}

type Json = Record<string, unknown>;

/** The operations of jiema.my's public v1 API; every other operation is an extension (D83). */
const JIEMA_V1 = new Set([
  'GET /api/v1/account',
  'GET /api/v1/services',
  'GET /api/v1/countries',
  'GET /api/v1/prices',
  'POST /api/v1/orders',
  'GET /api/v1/orders/:id',
  'POST /api/v1/orders/:id/cancel',
  'POST /api/v1/orders/:id/next-sms',
  'GET /api/v1/orders',
]);
/** The statuses jiema.my's v1 API documents. */
const JIEMA_V1_STATUSES = new Set([200, 400, 401, 403, 404, 429, 500]);

const isJiemaV1 = (route: Route): boolean => JIEMA_V1.has(`${route.method} ${route.path}`);

const EXTENSION = { 'x-jiema-extension': true } as const;
const extensionNote = (what: string) => `**Extension:** ${what} is not part of jiema.my's v1 API; this server adds it.`;

/** A success envelope around a route's response schema. */
const okEnvelope = <T extends z.ZodType>(data: T) => z.object({ ok: z.literal(true), data });

/** Exported schemas get their export name as a component, so generated clients name the types. */
const ids = new Map<unknown, string>();
for (const [name, schema] of Object.entries(S))
  if (schema instanceof z.ZodType && name !== 'ErrorEnvelope') ids.set(schema, name.replace(/Schema$/, ''));
// The global registry's descriptions and metadata, plus those ids (zod reads a registry only through get()).
const named = {
  get: (schema: z.ZodType) => {
    const meta = z.globalRegistry.get(schema);
    const id = ids.get(schema);
    return id === undefined ? meta : { ...meta, id };
  },
} as unknown as z.core.$ZodRegistry<z.core.GlobalMeta>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components?: Json): Json {
  const raw = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    ...(components && { metadata: named }),
  }) as Json;
  // Components instead of $defs; and zod's safe-integer bounds on every integer say nothing.
  const {
    $schema: _,
    $defs,
    ...out
  } = JSON.parse(
    JSON.stringify(raw)
      .replaceAll('"#/$defs/', '"#/components/schemas/')
      .replaceAll(`"minimum":${Number.MIN_SAFE_INTEGER},`, '')
      .replaceAll(`,"maximum":${Number.MAX_SAFE_INTEGER}`, ''),
  ) as Json;
  if ($defs) Object.assign(components!, $defs);
  return out;
}

const pathParamText: Record<string, string> = {
  orders: "An order's id (`ck…`)",
  users: "A user's id (`cl…`)",
  keys: "A key's id (`key…`)",
  faults: "A fault's id",
  activations: "An activation's id at the simulator's fake upstream",
  webhooks: "A webhook endpoint's id (`wh…`)",
  deliveries: "A delivery's id (`dlv…`)",
};

function parameters(r: Route): Json[] {
  const segments = r.path.split('/');
  const params: Json[] = segments.flatMap((seg, i) =>
    seg.startsWith(':')
      ? [
          {
            name: seg.slice(1),
            in: 'path',
            required: true,
            description: pathParamText[segments[i - 1] ?? ''] ?? 'An id',
            schema: { type: 'string', minLength: 1 },
          },
        ]
      : [],
  );
  if (r.request?.query) {
    const q = jsonSchema(r.request.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, 'x-jiema-extension': extension, ...rest } = schema;
      // An extension's parameter on one of jiema.my's operations is marked as such (D83).
      params.push({
        name,
        in: 'query',
        required: q.required?.includes(name) ?? false,
        ...(description !== undefined && { description }),
        schema: rest,
        ...(extension === true && EXTENSION),
      });
    }
  }
  if (r.idempotent) {
    params.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: `${extensionNote('This header')} The same key with the same request within 24 h replays the first response (with \`Idempotent-Replayed: true\`); with a different request it is refused (422); while the first is still running, 409. Refusals are replayed too; a 5xx is not stored, so the request may be retried with the same key.`,
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
      ...EXTENSION,
    });
  }
  if (r.eventStream) {
    params.push({
      name: 'Last-Event-ID',
      in: 'header',
      required: false,
      description: `${extensionNote('This header')} The \`id\` of the last event the client has (EventSource sends it when it reconnects): the stream resumes right after that event, with nothing lost in between. An id of another stream is refused (400).`,
      schema: { type: 'string', maxLength: 64 },
      ...EXTENSION,
    });
  }
  return params;
}

const example = (value: unknown) => (value === undefined ? {} : { example: value });

function errorSchema(codes: readonly ErrorCode[]): Json {
  return {
    type: 'object',
    properties: {
      ok: { type: 'boolean', const: false },
      code: { type: 'string', enum: [...codes] },
      message: { type: 'string', description: 'For people; never parse it' },
    },
    required: ['ok', 'code', 'message'],
    additionalProperties: false,
  };
}

/** One error response: the codes with their meanings, and the envelope narrowed to those codes. */
function errorResponse(status: number, codes: readonly ErrorCode[], r: Route | undefined, ex: unknown): Json {
  const lines = codes.map((c) => `- \`${c}\`: ${ERROR_MEANINGS[c]}`).join('\n');
  const spec = JIEMA_V1_STATUSES.has(status);
  const headers: Json = { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } };
  if (status === 429) Object.assign(headers, { 'Retry-After': { $ref: '#/components/headers/Retry-After' }, ...rateLimitHeaders(r) });
  return {
    description: `${spec ? '' : `${extensionNote(`Status ${status}`)}\n\n`}${lines}`,
    headers,
    content: { 'application/json': { schema: errorSchema(codes), ...example(ex) } },
    ...(!spec && EXTENSION),
  };
}

const rateLimitHeaders = (r: Route | undefined): Json =>
  r && !r.rateClass
    ? {}
    : { RateLimit: { $ref: '#/components/headers/RateLimit' }, 'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' } };

/** Responses whose codes are the same on every operation are shared components, named here. */
const SHARED: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  408: 'RequestTimeout',
  409: 'IdempotencyInProgress',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'IdempotencyMismatch',
  429: 'RateLimited',
  500: 'InternalError',
  503: 'Unavailable',
};

function responses(r: Route, components: { schemas: Json; responses: Json }, all: OpenApiExamples): Json {
  const examples = all[r.operationId]?.responses ?? {};
  const status = r.successStatus ?? 200;
  const headers: Json = { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } };
  if (r.rateClass) Object.assign(headers, rateLimitHeaders(r));
  if (r.idempotent) headers['Idempotent-Replayed'] = { $ref: '#/components/headers/Idempotent-Replayed' };
  if (r.longPoll) headers['Jiema-Long-Poll'] = { $ref: '#/components/headers/Jiema-Long-Poll' };
  const out: Json = {
    [status]: r.eventStream
      ? {
          description: 'A stream of server-sent events; each `data` is this schema as JSON.',
          headers,
          content: { 'text/event-stream': { schema: jsonSchema(r.response, 'output', components.schemas), ...example(examples[status]) } },
        }
      : {
          description: status === 201 ? 'Created' : 'OK',
          headers,
          content: {
            [r.contentType ?? 'application/json']: {
              schema: jsonSchema(r.enveloped === false ? r.response : okEnvelope(r.response), 'output', components.schemas),
              ...example(examples[status]),
            },
          },
        },
  };
  for (const [code, codes] of errorsByStatus(r)) {
    const shared = SHARED[code];
    // A 429 without a rate class has no RateLimit headers, so it is not the shared one.
    if (shared && codes.length === codesWithStatus(code).length && (code !== 429 || r.rateClass)) {
      // Its example: the first recorded one of that status, whichever operation answered it.
      components.responses[shared] ??= errorResponse(
        code,
        codes,
        undefined,
        Object.values(all).find((e) => e.responses?.[code])?.responses?.[code],
      );
      out[code] = { $ref: `#/components/responses/${shared}` };
    } else out[code] = errorResponse(code, codes, r, examples[code]);
  }
  return out;
}

function operation(r: Route, components: { schemas: Json; responses: Json }, examples: OpenApiExamples): Json {
  const ex = examples[r.operationId] ?? {};
  const extension = !isJiemaV1(r);
  const params = parameters(r);
  const body = r.request?.body;
  const description = [extension ? extensionNote('This operation') : '', r.description ?? ''].filter(Boolean).join('\n\n');
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(description && { description }),
    tags: [r.tag],
    security:
      r.auth === 'user'
        ? [{ apiKeyBearer: [] }, { apiKeyHeader: [] }]
        : r.auth === 'admin'
          ? [{ adminTokenHeader: [] }, { adminTokenBearer: [] }]
          : [],
    ...(params.length > 0 && { parameters: params }),
    ...(body && {
      requestBody: {
        // A body whose every field is optional may be left out altogether (cancel, next-sms).
        required: !body.safeParse({}).success,
        content: { 'application/json': { schema: jsonSchema(body, 'input'), ...example(ex.request) } },
      },
    }),
    responses: responses(r, components, examples),
    ...(extension && EXTENSION),
  };
}

/** Checked when a document is built, so a server with a bad route table does not start. */
function checkOperationIds(routes: readonly Route[]): void {
  const seen = new Set<string>();
  for (const r of routes) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(r.operationId))
      throw new Error(`Route ${r.method} ${r.path}: operationId ${JSON.stringify(r.operationId)} is not lowerCamelCase.`);
    if (seen.has(r.operationId)) throw new Error(`Route ${r.method} ${r.path}: operationId ${r.operationId} is used twice.`);
    seen.add(r.operationId);
  }
}

export function buildOpenApi(routes: readonly Route[], options: OpenApiOptions): Record<string, unknown> {
  checkOperationIds(routes);
  const kind = options.kind ?? 'api';
  const components = { schemas: {} as Json, responses: {} as Json };
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    (paths[r.path.replace(/:(\w+)/g, '{$1}')] ??= {})[r.method.toLowerCase()] = operation(r, components, options.examples ?? {});
  }
  const used = new Set(routes.map((r) => r.tag));
  const info = TAGS[kind];
  // Only the headers and schemes some operation refers to: an unused component is noise.
  const text = JSON.stringify([paths, components]);
  const headers = Object.fromEntries(Object.entries(HEADERS).filter(([name]) => text.includes(`"#/components/headers/${name}"`)));
  const schemes = new Set(
    routes.flatMap((r) =>
      r.auth === 'user' ? ['apiKeyBearer', 'apiKeyHeader'] : r.auth === 'admin' ? ['adminTokenHeader', 'adminTokenBearer'] : [],
    ),
  );
  const securitySchemes = Object.fromEntries(Object.entries(SECURITY_SCHEMES).filter(([name]) => schemes.has(name)));
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: options.version, description: info.description, license: { name: 'MIT', identifier: 'MIT' } },
    servers: [
      { url: '/', description: 'The server that serves this document' },
      { url: 'http://127.0.0.1:8787', description: '`jiema serve` on this machine, at its default address' },
      ...(kind === 'api'
        ? [{ url: 'https://jiema.my', description: 'jiema.my itself: only the operations not marked as extensions' }]
        : []),
    ],
    tags: info.tags.filter((t) => used.has(t.name as Route['tag'])),
    paths,
    components: {
      schemas: sortKeys(components.schemas),
      responses: sortKeys(components.responses),
      headers,
      securitySchemes,
    },
  };
}

const sortKeys = (o: Json): Json => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
