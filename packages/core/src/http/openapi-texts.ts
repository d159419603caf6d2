/**
 * The prose and fixed parts of the OpenAPI documents: titles, introductions, tags, headers and
 * security schemes. Everything that depends on a route is generated in openapi.ts.
 */
export type DocumentKind = 'api' | 'simulator';

interface Tag {
  name: string;
  'x-displayName': string;
  description: string;
  'x-jiema-extension'?: true;
}

const API_INTRO = `The jiema.my public API v1, as this jiema-compatible server speaks it, and the operators' admin API.

**Envelope.** Every response is JSON: \`{"ok": true, "data": …}\` on success, \`{"ok": false, "code": "…", "message": "…"}\` on error. Branch on \`code\`, which is stable; the message is for people. Each error response below lists the codes it can carry.

**Authentication.** Send the API key as \`Authorization: Bearer jm_…\` or \`X-API-Key: jm_…\`. The admin API takes the admin token instead, as \`X-Admin-Token\` or \`Authorization: Bearer\`; a user key never works there.

**Rate limits.** An exact sliding 60-second window per key: writes (create, cancel, next-sms) 10, reads 60, polling one order 300 per minute. Responses carry \`RateLimit\` and \`RateLimit-Policy\`; a 429 carries \`Retry-After\`.

**Extensions.** Everything jiema.my's v1 API does not have (operations, parameters, headers, statuses, fields) is marked \`x-jiema-extension: true\` and says so in its description. A client that must also work against jiema.my uses only what is not marked.

The browsable form of this document is at \`/docs\` on the same server. The simulator's control API (\`jiema serve\` with its simulated upstream) has a document of its own at \`/_sim/v1/openapi.json\`.`;

const SIM_INTRO = `The control API of the jiema simulator (\`jiema serve\` with its simulated upstream, or \`startSimulator()\`): deliver SMS, move virtual time, set stock, arm faults, read the event log. It is for tests and CI, and takes the admin token.

Errors use the same envelope as the jiema API: \`{"ok": false, "code": "…", "message": "…"}\`. The jiema API itself is described at \`/api/v1/openapi.json\` and browsable at \`/docs\`.`;

export const TAGS: Record<DocumentKind, { title: string; description: string; tags: Tag[] }> = {
  api: {
    title: 'jiema API',
    description: API_INTRO,
    tags: [
      {
        name: 'public',
        'x-displayName': 'jiema.my v1 API',
        description:
          "What integrators call with an API key: the account, the catalogue and prices, and orders. The operations not marked as extensions are jiema.my's own, field for field.",
      },
      {
        name: 'admin',
        'x-displayName': 'Admin API',
        description:
          'The operators\u2019 API, behind the admin token: users, balances (always a ledger row with a reason), keys, bans, pricing rules, and checks of the ledger and the outbox. An extension: jiema.my has no such API.',
        'x-jiema-extension': true,
      },
      {
        name: 'system',
        'x-displayName': 'System',
        description: 'Health and this document; no key needed. An extension.',
        'x-jiema-extension': true,
      },
    ],
  },
  simulator: {
    title: 'jiema simulator control API',
    description: SIM_INTRO,
    tags: [
      {
        name: 'simulator',
        'x-displayName': 'Simulator control',
        description: 'Drives the simulated upstream and its virtual clock. Only the simulator serves it.',
        'x-jiema-extension': true,
      },
    ],
  },
};

export const HEADERS = {
  'X-Request-Id': {
    description:
      "The request's id: the client's own `X-Request-Id` if it sent a sane one (`[A-Za-z0-9_.:-]{1,128}`), otherwise a new one. Every log line of the request carries it. An extension.",
    required: true,
    schema: { type: 'string' },
    'x-jiema-extension': true,
  },
  RateLimit: {
    description:
      'What is left in the window (IETF draft RateLimit header fields): `"<class>";r=<remaining>;t=<seconds until a slot frees>`. An extension.',
    schema: { type: 'string' },
    example: '"read";r=59;t=60',
    'x-jiema-extension': true,
  },
  'RateLimit-Policy': {
    description: 'The limit of the route\u2019s class: `"<class>";q=<requests>;w=60`. An extension.',
    schema: { type: 'string' },
    example: '"read";q=60;w=60',
    'x-jiema-extension': true,
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored response of an earlier request with the same `Idempotency-Key`. An extension.',
    schema: { type: 'string', const: 'true' },
    'x-jiema-extension': true,
  },
  'Jiema-Long-Poll': {
    description:
      'On an answer to a long-poll (`wait` > 0): the longest `wait` this server holds, in seconds. Its presence tells a client the server long-polls; jiema.my never sends it. An extension.',
    schema: { type: 'string' },
    example: '30',
    'x-jiema-extension': true,
  },
};

export const SECURITY_SCHEMES = {
  apiKeyBearer: { type: 'http', scheme: 'bearer', description: 'An API key (`jm_` + 43 characters) as `Authorization: Bearer jm_…`.' },
  apiKeyHeader: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'An API key as `X-API-Key: jm_…`. If both headers are sent they must carry the same key.',
  },
  adminTokenHeader: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Admin-Token',
    description: 'The admin token. An extension.',
    'x-jiema-extension': true,
  },
  adminTokenBearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'The admin token as `Authorization: Bearer …`. An extension.',
    'x-jiema-extension': true,
  },
};
