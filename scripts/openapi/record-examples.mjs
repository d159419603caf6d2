/**
 * Step 1 of `pnpm openapi`: runs a real simulator (manual clock, fixed seed, so the answers are the
 * same on every run) through every operation, and records one real request and response per
 * operation and status as the OpenAPI documents' examples (docs/decisions.md D84). Long lists are
 * cut to their first items, and API keys and referral codes (random by design) are replaced by
 * fixed ones; nothing else is touched. Every response is also checked against the documents while recording.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const violations = mkdtempSync(join(tmpdir(), 'jiema-openapi-'));
process.env.JIEMA_VALIDATE_RESPONSES = '1';
process.env.JIEMA_RESPONSE_VIOLATIONS_DIR = violations;
const { createSeededRng, generateApiKey } = await import('../../packages/core/dist/index.js');
// An internal of core's (not in its public API, docs/decisions.md D155): repository tools may reach into dist.
const { keyHint } = await import('../../packages/core/dist/account/api-key.js');
const { startSimulator } = await import('../../packages/simulator/dist/index.js');

const ADMIN = 'jma_example_admin_token_0123456789';
const sim = await startSimulator({ seed: 7, clock: 'manual', adminToken: ADMIN, port: 0 });

/** By operationId: { request?, responses: { status: body } }, in the order recorded. */
const examples = {};
const keys = new Map();

/** A real key becomes a fixed, well-formed one (its hint follows), so the examples never churn. */
function exampleKey(real) {
  if (!keys.has(real)) keys.set(real, generateApiKey(createSeededRng(1_000 + keys.size)));
  return keys.get(real);
}

/** Referral codes come from the CSPRNG: each becomes a fixed one, the same wherever it appears. */
const referrals = new Map();
const exampleReferral = (real) => {
  if (!referrals.has(real))
    referrals.set(
      real,
      generateApiKey(createSeededRng(2_000 + referrals.size))
        .slice(3, 9)
        .toLowerCase(),
    );
  return referrals.get(real);
};

/** Webhook signing secrets come from the CSPRNG too: each becomes a fixed one. */
const secrets = new Map();
const exampleSecret = (real) => {
  if (!secrets.has(real)) secrets.set(real, `whsec_${Buffer.from(createSeededRng(3_000 + secrets.size).bytes(24)).toString('base64')}`);
  return secrets.get(real);
};

function normalize(value) {
  if (typeof value === 'string') return keys.has(value) ? keys.get(value) : value;
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      const real = k === 'hint' && [...keys.keys()].find((key) => keyHint(key) === v);
      out[k] = real
        ? keyHint(keys.get(real))
        : k === 'referralCode' && typeof v === 'string'
          ? exampleReferral(v)
          : k === 'secret' && typeof v === 'string' && v.startsWith('whsec_')
            ? exampleSecret(v)
            : normalize(v);
    }
    return out;
  }
  return value;
}

/** Lists are cut to their first three items: an example, not a dump. */
function cut(body) {
  const data = body?.data;
  for (const field of ['items', 'activations']) if (Array.isArray(data?.[field])) data[field] = data[field].slice(0, 3);
  return body;
}

async function call(operationId, method, path, { key, admin, body, headers = {}, raw, record = true, recordRequest = true } = {}) {
  const h = { ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  if (admin) h['x-admin-token'] = ADMIN;
  const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) h['content-type'] ??= 'application/json';
  const res = await fetch(sim.url + path, { method, headers: h, body: payload });
  const json = await res.json();
  if (json?.data?.apiKey) exampleKey(json.data.apiKey);
  if (record) {
    const e = (examples[operationId] ??= {});
    if (body !== undefined && recordRequest && e.request === undefined && res.status < 300) e.request = normalize(body);
    (e.responses ??= {})[res.status] ??= normalize(cut(structuredClone(json)));
  }
  return { status: res.status, body: json };
}

const expectStatus = (r, status, what) => {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
};

try {
  // The public API, as an integrator walks it.
  const alice = expectStatus(
    await call('adminCreateUser', 'POST', '/admin/v1/users', {
      admin: true,
      body: { displayName: 'Alice', lang: 'en', balanceCents: '1200' },
    }),
    201,
    'create user',
  );
  const { apiKey: key } = expectStatus(
    await call('adminCreateKey', 'POST', `/admin/v1/users/${alice.id}/keys`, { admin: true, body: { name: 'ci' } }),
    201,
    'create key',
  );
  await call('getAccount', 'GET', '/api/v1/account', { key });
  await call('getAccount', 'GET', '/api/v1/account');
  await call('listServices', 'GET', '/api/v1/services', { key });
  await call('listCountries', 'GET', '/api/v1/countries', { key });
  await call('listPrices', 'GET', '/api/v1/prices?service=tg', { key });
  await call('listPrices', 'GET', '/api/v1/prices', { key });
  const order = expectStatus(
    await call('createOrder', 'POST', '/api/v1/orders', { key, body: { service: 'tg', country: 'my' } }),
    200,
    'create order',
  );
  await call('createOrder', 'POST', '/api/v1/orders', { key, body: { service: 'nope', country: 'my' } });
  await call('simDeliverSms', 'POST', `/_sim/v1/orders/${order.id}/sms`, {
    admin: true,
    body: { body: 'Telegram code: 52381. Do not give this code to anyone.' },
  });
  await call('getOrder', 'GET', `/api/v1/orders/${order.id}`, { key });
  await call('getOrder', 'GET', '/api/v1/orders/ck0000000000000000000000000', { key });
  await call('cancelOrder', 'POST', `/api/v1/orders/${order.id}/cancel`, { key });
  await call('requestNextSms', 'POST', `/api/v1/orders/${order.id}/next-sms`, { key });
  await call('requestNextSms', 'POST', `/api/v1/orders/${order.id}/next-sms`, { key });
  const second = expectStatus(
    await call('createOrder', 'POST', '/api/v1/orders', { key, body: { service: 'telegram', country: 6 }, record: false }),
    200,
    'second order',
  );
  await call('cancelOrder', 'POST', `/api/v1/orders/${second.id}/cancel`, { key });
  await call('listOrders', 'GET', '/api/v1/orders?limit=1', { key });
  await call('listOrders', 'GET', '/api/v1/orders?limit=0', { key });

  // Push (docs/decisions.md D90–D99): long-poll's refusal, event streams' refusal (their success is a stream), webhooks.
  await call('getOrder', 'GET', `/api/v1/orders/${order.id}?wait=99`, { key });
  await call('streamEvents', 'GET', '/api/v1/events', { key, headers: { 'last-event-id': 'evt0000000000000000000000000' } });
  await call('streamOrderEvents', 'GET', '/api/v1/orders/ck0000000000000000000000000/events', { key });
  // Port 9 (discard) has no listener here: the delivery fails at once and deterministically, and is retried.
  const hook = expectStatus(
    await call('createWebhook', 'POST', '/api/v1/webhooks', {
      key,
      body: { url: 'http://127.0.0.1:9/hook', events: ['sms.received', 'order.updated'] },
    }),
    201,
    'create webhook',
  );
  await call('createWebhook', 'POST', '/api/v1/webhooks', { key, body: { url: 'ftp://example.com/hook' } });
  const hooked = expectStatus(
    await call('createOrder', 'POST', '/api/v1/orders', { key, body: { service: 'tg', country: 7 }, record: false }),
    200,
    'hooked order',
  );
  for (let i = 0; i < 200; i++) {
    const page = await call('listWebhookDeliveries', 'GET', `/api/v1/webhooks/${hook.id}/deliveries`, { key, record: false });
    if (page.body.data.items[0]?.attempts >= 1) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await call('listWebhooks', 'GET', '/api/v1/webhooks', { key });
  await call('getWebhook', 'GET', `/api/v1/webhooks/${hook.id}`, { key });
  await call('getWebhook', 'GET', '/api/v1/webhooks/wh0000000000000000000000000', { key });
  const deliveries = expectStatus(
    await call('listWebhookDeliveries', 'GET', `/api/v1/webhooks/${hook.id}/deliveries`, { key }),
    200,
    'deliveries',
  );
  await call('listWebhookDeliveries', 'GET', `/api/v1/webhooks/${hook.id}/deliveries?limit=0`, { key });
  await call('redeliverWebhookDelivery', 'POST', `/api/v1/webhooks/${hook.id}/deliveries/${deliveries.items[0].id}/redeliver`, { key });
  await call('redeliverWebhookDelivery', 'POST', `/api/v1/webhooks/${hook.id}/deliveries/dlv0000000000000000000000000/redeliver`, { key });
  await call('rotateWebhookSecret', 'POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { key, body: { overlapSeconds: 3600 } });
  await call('rotateWebhookSecret', 'POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { key, body: { overlapSeconds: -1 } });
  await call('deleteWebhook', 'DELETE', `/api/v1/webhooks/${hook.id}`, { key });
  await call('deleteWebhook', 'DELETE', `/api/v1/webhooks/${hook.id}`, { key });
  await call('cancelOrder', 'POST', `/api/v1/orders/${hooked.id}/cancel`, { key, record: false });

  // The extensions' errors: Idempotency-Key, body limits, the upstream down, a ban, rate limits.
  const idem = { key, headers: { 'idempotency-key': 'signup-4711' } };
  await call('createOrder', 'POST', '/api/v1/orders', { ...idem, body: { service: 'tg', country: 7 }, record: false });
  await call('createOrder', 'POST', '/api/v1/orders', { ...idem, body: { service: 'tg', country: 6 } });
  await call('createOrder', 'POST', '/api/v1/orders', {
    key,
    raw: JSON.stringify({ service: 'tg', country: 7, note: 'x'.repeat(17_000) }),
  });
  await call('createOrder', 'POST', '/api/v1/orders', {
    key,
    raw: '{"service":"tg","country":7}',
    headers: { 'content-type': 'application/json; charset=latin1' },
  });
  const fault = expectStatus(
    await call('simArmFault', 'POST', '/_sim/v1/faults', {
      admin: true,
      body: { kind: 'error', error: 'UNAVAILABLE', method: 'buy', count: 1 },
    }),
    201,
    'arm fault',
  );
  await call('simListFaults', 'GET', '/_sim/v1/faults', { admin: true });
  await call('createOrder', 'POST', '/api/v1/orders', { key, body: { service: 'tg', country: 7 } });
  await call('simClearFault', 'DELETE', `/_sim/v1/faults/${fault.id}`, { admin: true });
  await call('simClearFault', 'DELETE', `/_sim/v1/faults/${fault.id}`, { admin: true });
  await call('simClearFaults', 'DELETE', '/_sim/v1/faults', { admin: true });
  const bob = expectStatus(
    await call('simCreateUser', 'POST', '/_sim/v1/users', { admin: true, body: { balanceCents: 1000, displayName: 'Bob' } }),
    200,
    'sim user',
  );
  for (let i = 0; i < 10; i++)
    await call('cancelOrder', 'POST', `/api/v1/orders/ck${String(i).padStart(25, '0')}/cancel`, { key: bob.apiKey, record: false });
  await call('cancelOrder', 'POST', '/api/v1/orders/ck0000000000000000000000000/cancel', { key: bob.apiKey });
  await call('adminBanUser', 'POST', `/admin/v1/users/${bob.id}/ban`, { admin: true, body: { reason: 'chargeback' } });
  await call('getAccount', 'GET', '/api/v1/account', { key: bob.apiKey });
  await call('adminUnbanUser', 'POST', `/admin/v1/users/${bob.id}/unban`, { admin: true });

  // The admin API.
  await call('adminListUsers', 'GET', '/admin/v1/users?limit=2', { admin: true });
  await call('adminListUsers', 'GET', '/admin/v1/users');
  await call('adminGetUser', 'GET', `/admin/v1/users/${alice.id}`, { admin: true });
  await call('adminGetUser', 'GET', '/admin/v1/users/cl0000000000000000000000000', { admin: true });
  await call('adminChangeBalance', 'POST', `/admin/v1/users/${alice.id}/balance`, {
    admin: true,
    body: { amountCents: 500, reason: 'USDT top-up, tx 0x5e1f' },
  });
  await call('adminChangeBalance', 'POST', `/admin/v1/users/${alice.id}/balance`, {
    admin: true,
    body: { amountCents: -100_000, reason: 'correction' },
  });
  await call('adminListLedger', 'GET', `/admin/v1/users/${alice.id}/ledger?limit=3`, { admin: true });
  await call('adminListKeys', 'GET', `/admin/v1/users/${alice.id}/keys`, { admin: true });
  const spare = expectStatus(
    await call('adminCreateKey', 'POST', `/admin/v1/users/${alice.id}/keys`, { admin: true, body: { name: 'spare' }, record: false }),
    201,
    'spare key',
  );
  await call('adminRevokeKey', 'POST', `/admin/v1/users/${alice.id}/keys/${spare.key.id}/revoke`, { admin: true });
  await call('adminGetPricing', 'GET', '/admin/v1/pricing', { admin: true });
  await call('adminReplacePricing', 'PUT', '/admin/v1/pricing', {
    admin: true,
    body: {
      rules: [
        { service: 'tg', country: 7, markupBps: 2500, floorCents: 20 },
        { service: null, country: null, markupBps: 5000 },
      ],
    },
  });
  await call('adminRefreshCatalogue', 'POST', '/admin/v1/catalogue/refresh', { admin: true });
  await call('adminCheckInvariants', 'GET', '/admin/v1/invariants', { admin: true });
  await call('adminListOutbox', 'GET', '/admin/v1/outbox?limit=3', { admin: true });
  await call('getHealth', 'GET', '/healthz');
  await call('getReadiness', 'GET', '/readyz');
  // Its 200 is the Prometheus text, not JSON: only the refusal is recorded.
  await call('getMetrics', 'GET', '/metrics');
  // The support tools (docs/decisions.md D100, D101).
  await call('adminSearchOrders', 'GET', `/admin/v1/orders?userId=${alice.id}&limit=2`, { admin: true });
  await call('adminSearchOrders', 'GET', '/admin/v1/orders?status=LOST', { admin: true });
  await call('adminGetOrder', 'GET', `/admin/v1/orders/${order.id}`, { admin: true });
  await call('adminGetOrder', 'GET', '/admin/v1/orders/ck0000000000000000000000000', { admin: true });
  await call('adminRefundOrder', 'POST', `/admin/v1/orders/${second.id}/refund`, {
    admin: true,
    body: { reason: 'ticket 812: the code was rejected' },
  });

  // The simulator's control API.
  await call('simGetClock', 'GET', '/_sim/v1/clock', { admin: true });
  await call('simGetClock', 'GET', '/_sim/v1/clock');
  await call('simAdvanceClock', 'POST', '/_sim/v1/clock/advance', { admin: true, body: { ms: 60_000 } });
  // The first order received its code; once its window ends it is COMPLETED, and an operator may refund it.
  await call('simAdvanceClock', 'POST', '/_sim/v1/clock/advance', { admin: true, body: { ms: 21 * 60_000 }, record: false });
  await call('adminRefundOrder', 'POST', `/admin/v1/orders/${order.id}/refund`, {
    admin: true,
    body: { reason: 'ticket 812: the code was rejected' },
  });
  await call('simSetStock', 'PUT', '/_sim/v1/stock', { admin: true, body: { service: 'tg', country: 'my', count: 500 } });
  await call('simSetStock', 'PUT', '/_sim/v1/stock', { admin: true, body: { service: 'nope', country: 'my', count: 500 } });
  await call('simSetUpstreamBalance', 'PUT', '/_sim/v1/upstream/balance', { admin: true, body: { amount: '250.00' } });
  const live = expectStatus(
    await call('createOrder', 'POST', '/api/v1/orders', { key, body: { service: 'wa', country: 7 }, record: false }),
    200,
    'live order',
  );
  const upstream = expectStatus(await call('simGetUpstream', 'GET', '/_sim/v1/upstream', { admin: true }), 200, 'upstream');
  const activation = upstream.activations.find((a) => a.phone === live.phone) ?? upstream.activations[0];
  await call('simDeliverActivationSms', 'POST', `/_sim/v1/activations/${activation.id}/sms`, {
    admin: true,
    body: { body: 'WhatsApp code 618-204' },
  });
  await call('simDeliverSms', 'POST', '/_sim/v1/orders/ck0000000000000000000000000/sms', { admin: true, body: {} });
  await call('simListEvents', 'GET', '/_sim/v1/events?type=sms.delivered', { admin: true });
  await call('simSetFacadeMode', 'PUT', '/_sim/v1/facade', { admin: true, body: { mode: 'status' } });
  await call('simGetBehaviour', 'GET', '/_sim/v1/behaviour', { admin: true });
  await call('simSetBehaviour', 'PUT', '/_sim/v1/behaviour', { admin: true, body: { preset: 'scripted' } });
  await call('simSetBehaviour', 'PUT', '/_sim/v1/behaviour', { admin: true, body: { preset: 'chaotic' } });
  await call('simReset', 'POST', '/_sim/v1/reset', { admin: true });
  await call('simReset', 'POST', '/_sim/v1/reset', { admin: true, body: { seed: 42, behaviour: 'ideal', rateLimits: { writePerMin: 2 } } });
} finally {
  await sim.close();
}

const found = readdirSync(violations).flatMap((f) => readFileSync(join(violations, f), 'utf8').split('\n').filter(Boolean));
rmSync(violations, { recursive: true, force: true });
if (found.length > 0) {
  console.error(`Responses the documents do not describe:\n${found.join('\n')}`);
  process.exit(1);
}

const write = (file, name, ops, what) => {
  const text = `/**
 * Generated by \`pnpm openapi\` from a real ${what}'s answers (scripts/openapi/record-examples.mjs);
 * do not edit. The OpenAPI document shows them as the examples of each operation.
 */
import type { OpenApiExamples } from '${file.includes('simulator') ? '@jiema/core/http' : './openapi.js'}';

export const ${name}: OpenApiExamples = ${JSON.stringify(Object.fromEntries(ops), null, 2)};
`;
  writeFileSync(join(REPO, file), text);
  console.log(`wrote ${file} (${ops.length} operations)`);
};
const all = Object.entries(examples);
write(
  'packages/core/src/http/openapi-examples.ts',
  'OPENAPI_EXAMPLES',
  all.filter(([id]) => !id.startsWith('sim')),
  'server',
);
write(
  'packages/simulator/src/control-examples.ts',
  'CONTROL_EXAMPLES',
  all.filter(([id]) => id.startsWith('sim')),
  'simulator',
);
