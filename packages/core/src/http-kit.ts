/**
 * @jiema/core/http: the building blocks for HTTP routes beside core's own (docs/decisions.md
 * D156) — how the simulator's control API, console routes and protocol facades, and the CLI's
 * seed and scenario schemas, reuse core's route table, envelope, OpenAPI builder and schemas
 * instead of copying them. Listed in the README's "Public API"; pinned by test/public-api.test.ts.
 */
export { defineRoute, type Route, type RouteContext, type Method } from './http/route.js';
export { ok, parseInput, type HandlerResult } from './http/envelope.js';
export { buildOpenApi, type OpenApiExamples, type OpenApiOptions } from './http/openapi.js';
export { createJsonHttpServer, type RequestListener } from './http/json-http-server.js';
export { SlidingWindowLimiter, type RateClass } from './http/rate-limiter.js';
export { hashSecret, secretMatches } from './http/auth.js';
export * as schemas from './http/schemas.js';
