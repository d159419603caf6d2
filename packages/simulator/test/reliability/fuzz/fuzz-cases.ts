/**
 * The fuzzer's malformed requests, as fast-check arbitraries (sampled from one seed, so a run
 * replays): bad JSON, wrong types, huge and deep bodies, __proto__/constructor keys, odd unicode,
 * bad query values, headers of every shape, odd paths and methods, and raw bytes for what no
 * HTTP client sends — truncated, slow, smuggled or unparsable requests.
 *
 * No case may move money even if the server misread it: bodies sent with a funded key to a
 * money-moving route are checked invalid first (`surelyRefused`), buys otherwise come from a
 * user with no balance, and the admin token only ever reads.
 */
import fc from 'fast-check';
import { schemas } from '@jiema/core/http';

export interface FuzzTargets {
  /** A live (WAITING) order of the funded user, and one already cancelled. */
  liveOrder: string;
  doneOrder: string;
  /** A funded user's key, a key whose user has no balance, another user's key. */
  richKey: string;
  poorKey: string;
  otherKey: string;
  adminToken: string;
  userId: string;
}

export type FuzzCase =
  | { channel: 'http'; label: string; method: string; path: string; headers: Array<[string, string]>; body?: string }
  | {
      channel: 'bytes';
      label: string;
      pieces: string[];
      gapMs?: number;
      halfClose?: boolean;
      mayGoUnanswered?: boolean;
      responses?: number;
    };

// ------------------------------------------------------------------ values

export const ODD_STRINGS = [
  '',
  ' ',
  '\t',
  '\u0000',
  'tg\u0000',
  'ｔｇ',
  'ТГ',
  'tg\u200b',
  '\u202etg',
  '\ud800',
  '\udfff',
  '😀',
  'ǅ',
  'ß',
  'İ',
  'a'.repeat(65),
  'x'.repeat(5_000),
  '../../etc/passwd',
  '..%2f..%2f',
  '%00',
  '%zz',
  '${jndi:ldap://127.0.0.1/x}',
  "'; DROP TABLE users; --",
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x10',
  '007',
  '7.0',
  ' 7',
  '+7',
  '-7',
  '99999999999999999999',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
] as const;

/** Percent-encodes anything, lone surrogates included (as the UTF-8 of U+FFFD, as a browser would). */
const pct = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
};

const oddString = fc.oneof(
  { arbitrary: fc.constantFrom(...ODD_STRINGS), weight: 3 },
  { arbitrary: fc.string({ maxLength: 80 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 1 },
);

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  oddString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

/** Order bodies that are wrong in every way a client gets them wrong. */
const orderBody: fc.Arbitrary<string> = fc.oneof(
  // broken JSON
  fc.constantFrom(
    '{',
    '{"service":',
    '{"service":"tg",}',
    "{'service':'tg','country':7}",
    '{"service":"tg" "country":7}',
    '{"service":"tg","country":7',
    'undefined',
    'NaN',
    '[',
    '{"a":1}}',
    '\u0000',
    'service=tg&country=7',
    '{"service":"tg","country":07}',
    '{"service":"tg","country":0x7}',
    '{"service":"\\ud800","country":7}',
  ),
  fc.string({ maxLength: 60 }),
  // valid JSON, wrong shape or types
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.record({ service: oddValue, country: oddValue }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.tuple(fc.constantFrom('tg', 'telegram', 'TG'), oddValue).map(([service, country]) => JSON.stringify({ service, country })),
  fc.tuple(oddString, fc.constantFrom(7, '7', 'my')).map(([service, country]) => JSON.stringify({ service, country })),
  fc.tuple(fc.string({ maxLength: 12 }), oddValue).map(([k, v]) => JSON.stringify({ service: 'tg', country: 7, [k || 'x']: v })),
  // prototype keys
  fc.constantFrom(
    '{"__proto__":{"service":"tg","country":7}}',
    '{"constructor":{"prototype":{"service":"tg","country":7}}}',
    '{"service":"tg","country":7,"__proto__":{"admin":true}}',
    '{"__proto__":null,"service":"tg","country":7}',
    '{"prototype":{"service":"tg"},"service":"tg","country":7}',
    '{"service":"tg","country":{"__proto__":{"valueOf":7}}}',
    '{"service":{"toString":"tg"},"country":7}',
  ),
  // huge and deep
  fc.integer({ min: 16 * 1024 - 64, max: 96 * 1024 }).map((n) => JSON.stringify({ service: 'a'.repeat(n), country: 7 })),
  fc.integer({ min: 50, max: 7_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.integer({ min: 50, max: 2_500 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  fc
    .integer({ min: 1, max: 3_000 })
    .map((n) => JSON.stringify({ service: 'tg', country: 7, ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])) })),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  '',
  '*/*',
  'application/json; charset="utf-8"; foo=bar',
);

// ------------------------------------------------------------------ checks that keep money still

/** Whether the server must refuse this body on a route taking `schema` whatever it makes of it (UTF-8, no encoding). */
export function surelyRefused(schema: { safeParse(v: unknown): { success: boolean } }, body: string | undefined): boolean {
  if (body === undefined) return !schema.safeParse({}).success;
  const text = body.replace(/^\uFEFF/, '');
  if (text.trim() === '') return !schema.safeParse({}).success;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return true; // body-parser's strict JSON accepts less than JSON.parse
  }
  return !schema.safeParse(value).success;
}

const utf8Only = (headers: Array<[string, string]>): boolean =>
  headers.every(([k, v]) => {
    const name = k.toLowerCase();
    if (name === 'content-encoding') return false;
    if (name === 'content-type') return !/charset/i.test(v) || /charset="?utf-8"?/i.test(v);
    return true;
  });

// ------------------------------------------------------------------ cases

export function fuzzCase(t: FuzzTargets): fc.Arbitrary<FuzzCase> {
  const bearer = (key: string): [string, string] => ['authorization', `Bearer ${key}`];
  const json = (ct: string): Array<[string, string]> => (ct ? [['content-type', ct]] : []);

  const createOrder = fc.tuple(orderBody, contentType, fc.boolean()).map(([body, ct, rich]): FuzzCase => {
    const headers = json(ct);
    // A funded key only with a body the server must refuse; otherwise a user with nothing to spend.
    const key = rich && utf8Only(headers) && surelyRefused(schemas.CreateOrderBody, body) ? t.richKey : t.poorKey;
    return {
      channel: 'http',
      label: 'create-order body',
      method: 'POST',
      path: '/api/v1/orders',
      headers: [bearer(key), ...headers],
      body,
    };
  });

  const orderAction = fc
    .tuple(
      fc.constantFrom('cancel', 'next-sms'),
      fc.oneof(orderBody, fc.constantFrom('{}', '', ' ', '\uFEFF{}', '{"reason":"x"}', '[]')),
      contentType,
      fc.boolean(),
    )
    .map(([action, body, ct, live]): FuzzCase => {
      const headers = json(ct);
      // Cancelling the live order moves money: only bodies it must refuse. Next-sms on it is BAD_STATUS anyway.
      const onLive = live && (action === 'next-sms' || (utf8Only(headers) && surelyRefused(schemas.EmptyBody, body) && body.trim() !== ''));
      const id = onLive ? t.liveOrder : t.doneOrder;
      return {
        channel: 'http',
        label: `${action} body`,
        method: 'POST',
        path: `/api/v1/orders/${id}/${action}`,
        headers: [bearer(t.richKey), ...headers],
        body,
      };
    });

  const queryValue = fc.oneof(
    oddString,
    fc.integer().map(String),
    fc.double().map(String),
    fc.constantFrom('%zz', '%00', '%C0%AF', '%', '%%', '+', '&', '=', '#', '?'),
  );
  const queryPair = fc.tuple(
    fc.constantFrom('service', 'limit', 'cursor', 'status', 'since', 'type', 'x', 'service[]', 'limit[a]', ''),
    queryValue,
  );
  const encode = (v: string) => (/^%|^[+&=#?]$/.test(v) ? v : pct(v));
  const query = fc
    .tuple(
      fc.constantFrom(
        '/api/v1/prices',
        '/api/v1/orders',
        '/api/v1/services',
        '/api/v1/account',
        '/admin/v1/users',
        `/admin/v1/users/${t.userId}/ledger`,
        '/admin/v1/outbox',
        '/_sim/v1/events',
        '/admin/v1/pricing',
      ),
      fc.array(queryPair, { minLength: 1, maxLength: 4 }),
    )
    .map(([path, pairs]): FuzzCase => ({
      channel: 'http',
      label: 'query values',
      method: 'GET',
      path: `${path}?${pairs.map(([k, v]) => `${k}=${encode(v)}`).join('&')}`,
      headers: [path.startsWith('/api/') ? bearer(t.richKey) : ['x-admin-token', t.adminToken]],
    }));

  const authValue = fc.oneof(
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'Bearer  ',
      'bearer',
      `bearer ${t.richKey}`,
      `Bearer ${t.richKey} extra`,
      `Bearer  ${t.richKey}`,
      `Bearer\t${t.richKey}`,
      `Basic ${t.richKey}`,
      `Token ${t.richKey}`,
      `Bearer ${t.richKey.toUpperCase()}`,
      `Bearer ${t.richKey.slice(0, -2)}`,
      `Bearer ${t.richKey}x`,
      `Bearer jm_`,
      `Bearer jm_${'A'.repeat(43)}`,
      `Bearer ${'x'.repeat(8_000)}`,
      `Bearer ${t.adminToken}`,
    ),
    fc
      .string({ maxLength: 100 })
      .filter((s) => !/[\r\n\0]/.test(s))
      .map((s) => `Bearer ${s}`),
  );
  const header = fc.oneof(
    authValue.map((v): [string, string] => ['authorization', v]),
    fc.constantFrom<[string, string]>(
      ['x-api-key', ''],
      ['x-api-key', ' '],
      ['x-api-key', t.otherKey],
      ['x-api-key', `${t.richKey} `],
      ['x-api-key', 'jm_short'],
    ),
    fc
      .string({ maxLength: 200 })
      .filter((s) => !/[\r\n\0]/.test(s))
      .map((v): [string, string] => ['x-request-id', v]),
    fc
      .string({ maxLength: 300 })
      .filter((s) => !/[\r\n\0]/.test(s))
      .map((v): [string, string] => ['idempotency-key', v]),
    contentType.map((v): [string, string] => ['content-type', v]),
    fc.constantFrom<[string, string]>(
      ['content-encoding', 'gzip'],
      ['content-encoding', 'br'],
      ['content-encoding', 'deflate'],
      ['content-encoding', 'identity'],
      ['content-encoding', 'x-unknown'],
    ),
    fc.constantFrom<[string, string]>(
      ['accept', 'text/html'],
      ['accept', '*/*;q=0'],
      ['x-forwarded-for', '::1, 10.0.0.1'],
      ['cookie', 'a=b'],
      ['origin', 'http://evil.example'],
      ['x-http-method-override', 'DELETE'],
      ['expect', '100-continue'],
      ['range', 'bytes=0-1'],
    ),
  );
  const headerShapes = fc
    .tuple(
      fc.constantFrom<[string, string]>(
        ['GET', '/api/v1/account'],
        ['GET', `/api/v1/orders/${t.liveOrder}`],
        ['GET', '/api/v1/orders'],
        ['POST', '/api/v1/orders'],
        ['POST', `/api/v1/orders/${t.doneOrder}/cancel`],
        ['GET', '/admin/v1/invariants'],
      ),
      fc.array(header, { minLength: 1, maxLength: 6 }),
      fc.option(orderBody, { nil: undefined }),
    )
    .map(([[method, path], headers, body]): FuzzCase => {
      // Repeated headers are part of the fuzz; a funded key never buys, whatever the headers say.
      const safe =
        method === 'POST' && path === '/api/v1/orders'
          ? headers.map(([k, v]): [string, string] =>
              /^(authorization|x-api-key)$/i.test(k) ? [k, v.split(t.richKey).join(t.poorKey)] : [k, v],
            )
          : headers;
      if (method === 'POST' && path === '/api/v1/orders') safe.push(bearer(t.poorKey));
      return {
        channel: 'http',
        label: 'header shapes',
        method,
        path,
        headers: safe,
        ...(method === 'POST' && body !== undefined && { body }),
      };
    });

  const segment = fc.oneof(
    fc.constantFrom(
      'api',
      'v1',
      'orders',
      'admin',
      '_sim',
      'users',
      'cancel',
      'next-sms',
      '..',
      '.',
      '',
      '%2e%2e',
      '%2F',
      '%ZZ',
      '%00',
      '%C0%AF',
      'ORDERS',
      t.liveOrder,
      t.doneOrder,
      t.userId,
    ),
    oddString.map(pct),
  );
  const path = fc.oneof(
    fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => `/${s.join('/')}`),
    fc.constantFrom(
      '/api/v1/orders/',
      '/api/v1//orders',
      '//api/v1/account',
      '/api/v1/orders/%ZZ',
      `/api/v1/orders/${t.liveOrder}/cancel/extra`,
      '/API/V1/ACCOUNT',
      `/api/v1/orders/${t.liveOrder}%2Fcancel`,
      `/api/v1/orders/${'a'.repeat(4_000)}`,
      '/api/v1/openapi.json/..',
      '/healthz?x=%zz',
    ),
  );
  const oddRoute = fc
    .tuple(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'M-SEARCH'),
      path,
      fc.constantFrom<'none' | 'user' | 'poor'>('none', 'user', 'poor'),
      fc.option(orderBody, { nil: undefined }),
    )
    .filter(([, p]) => !/^\/(stubs|v1\/(user|guest))(\/|$)/i.test(p)) // the upstream-protocol facades speak their own wire format
    .map(([method, p, who, body]): FuzzCase => {
      // Only the key with nothing to spend goes where a body could do something.
      const key = who === 'none' ? undefined : method === 'GET' || method === 'HEAD' ? t.richKey : t.poorKey;
      return {
        channel: 'http',
        label: 'odd paths and methods',
        method,
        path: p,
        headers: key ? [bearer(key)] : [],
        ...(body !== undefined && method !== 'GET' && method !== 'HEAD' && { body }),
      };
    });

  const head = (method: string, p: string, extra = '') =>
    `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t.poorKey}\r\n${extra}`;
  const rawBytes = fc.oneof(
    // a body shorter than its Content-Length: the client gives up (half-close, or silence)
    fc.tuple(fc.integer({ min: 1, max: 30 }), fc.boolean()).map(([cut, halfClose]): FuzzCase => {
      const body = '{"service":"tg","country":7}';
      return {
        channel: 'bytes',
        label: 'truncated body',
        pieces: [
          head('POST', '/api/v1/orders', `Content-Type: application/json\r\nContent-Length: ${body.length + 20}\r\n\r\n`) +
            body.slice(0, cut),
        ],
        halfClose,
        mayGoUnanswered: true,
      };
    }),
    // a body that trickles in
    fc.tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 10, max: 60 })).map(([n, gapMs]): FuzzCase => {
      const body = '{"service":"xx","country":"nowhere"}';
      const size = Math.ceil(body.length / n);
      const parts = Array.from({ length: n }, (_, i) => body.slice(i * size, (i + 1) * size));
      return {
        channel: 'bytes',
        label: 'slow body',
        pieces: [head('POST', '/api/v1/orders', `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), ...parts],
        gapMs,
      };
    }),
    // headers that trickle in
    fc.integer({ min: 10, max: 50 }).map((gapMs): FuzzCase => ({
      channel: 'bytes',
      label: 'slow headers',
      pieces: ['GET /api/v1/acc', 'ount HTTP/1.1\r\nHo', 'st: x\r\nAuthorization: Bearer ', `${t.richKey}\r\n`, '\r\n'],
      gapMs,
    })),
    fc.constantFrom<FuzzCase>(
      { channel: 'bytes', label: 'unparsable request', pieces: ['get /healthz HTTP/1.1\r\nHost: x\r\n\r\n'] },
      { channel: 'bytes', label: 'unparsable request', pieces: ['GET /healthz HTTP/7.0\r\nHost: x\r\n\r\n'] },
      {
        channel: 'bytes',
        label: 'unparsable request',
        pieces: ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello to a plain port\r\n\r\n'],
      },
      { channel: 'bytes', label: 'unparsable request', pieces: ['GET /api/v1/account HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n'] },
      {
        channel: 'bytes',
        label: 'unparsable request',
        pieces: [`GET /api/v1/account HTTP/1.1\r\nHost: x\r\nX-Latin: caf\xe9\r\nAuthorization: Bearer ${t.poorKey}\r\n\r\n`],
      },
      {
        channel: 'bytes',
        label: 'unparsable request',
        pieces: [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: ${'h'.repeat(20_000)}\r\n\r\n`],
      },
      { channel: 'bytes', label: 'unparsable request', pieces: [`GET /${'p'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`] },
      {
        channel: 'bytes',
        label: 'smuggling shapes',
        pieces: [head('POST', '/api/v1/orders', 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')],
      },
      {
        channel: 'bytes',
        label: 'smuggling shapes',
        pieces: [head('POST', '/api/v1/orders', 'Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}}')],
      },
      {
        channel: 'bytes',
        label: 'smuggling shapes',
        pieces: [head('POST', '/api/v1/orders', 'Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n')],
      },
      { channel: 'bytes', label: 'smuggling shapes', pieces: [head('POST', '/api/v1/orders', 'Content-Length: -1\r\n\r\n')] },
      { channel: 'bytes', label: 'smuggling shapes', pieces: [head('POST', '/api/v1/orders', 'Content-Length: abc\r\n\r\n')] },
      {
        channel: 'bytes',
        label: 'chunked body',
        pieces: [
          head('POST', '/api/v1/orders', 'Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n'),
          '5\r\n{"ser\r\n',
          '1a\r\nvice":"zz","country":"zz"}\r\n',
          '0\r\n\r\n',
        ],
        gapMs: 10,
      },
      {
        channel: 'bytes',
        label: 'chunked body',
        pieces: [head('POST', '/api/v1/orders', 'Transfer-Encoding: chunked\r\n\r\n'), 'fffffffffffffffff\r\n'],
      },
      {
        channel: 'bytes',
        label: 'pipelined',
        pieces: [`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/account HTTP/1.1\r\nHost: x\r\n\r\n`],
        responses: 2,
      },
      { channel: 'bytes', label: 'HTTP/1.0', pieces: ['GET /api/v1/account HTTP/1.0\r\n\r\n'] },
      { channel: 'bytes', label: 'no Host', pieces: [`GET /api/v1/account HTTP/1.1\r\nAuthorization: Bearer ${t.poorKey}\r\n\r\n`] },
      { channel: 'bytes', label: 'unknown Expect', pieces: [head('GET', '/api/v1/account', 'Expect: teapot\r\n\r\n')] },
      { channel: 'bytes', label: 'upgrade', pieces: [head('GET', '/api/v1/account', 'Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n')] },
      { channel: 'bytes', label: 'CONNECT', pieces: ['CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n'] },
      {
        channel: 'bytes',
        label: 'expect continue',
        pieces: [
          head('POST', '/api/v1/orders', 'Expect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n'),
          '{}',
        ],
        gapMs: 30,
      },
    ),
  );

  return fc.oneof(
    { arbitrary: createOrder, weight: 5 },
    { arbitrary: orderAction, weight: 2 },
    { arbitrary: query, weight: 3 },
    { arbitrary: headerShapes, weight: 3 },
    { arbitrary: oddRoute, weight: 3 },
    { arbitrary: rawBytes, weight: 2 },
  );
}
