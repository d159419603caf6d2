/**
 * The push extensions' routes (docs/decisions.md D92–D96): event streams and webhook endpoints,
 * run through the same pipeline as every other route (the key, rate classes, Idempotency-Key).
 */
import type { Engine } from '../engine.js';
import { AppError } from '../errors/app-error.js';
import { ok, parseInput } from '../http/envelope.js';
import { defineRoute, type Route, type RouteContext } from '../http/route.js';
import * as S from '../http/schemas.js';
import { EventStreams } from './event-streams.js';
import type { Delivery, Webhook } from './webhooks.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const presentWebhook = (w: Webhook) => ({
  id: w.id,
  url: w.url,
  events: w.events,
  createdAt: iso(w.createdAt)!,
  previousSecretUntil: iso(w.previousSecretUntil),
});

const presentDelivery = (d: Delivery) => ({
  id: d.id,
  webhookId: d.webhookId,
  eventId: d.eventId,
  eventType: d.eventType,
  state: d.state,
  attempts: d.attempts,
  nextAttemptAt: iso(d.nextAttemptAt),
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  lastAttemptAt: iso(d.lastAttemptAt),
  deliveredAt: iso(d.deliveredAt),
  createdAt: iso(d.createdAt)!,
});

const userId = (ctx: RouteContext): string => ctx.principal!.user.id;
const lastEventId = (ctx: RouteContext): string | undefined => {
  const h = ctx.headers['last-event-id'];
  return Array.isArray(h) ? h[0] : h;
};
const webhooks = (ctx: RouteContext) => ctx.engine.push.webhooks;
const AUTH = ['AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED'] as const;
const STREAM_TEXT =
  'Server-sent events (`text/event-stream`): one frame per event, `id:` the event id, `event:` its type (`order.updated`, `sms.received`), `data:` the event as JSON (`{"id","type","timestamp","data":<the order>}`, the same body a webhook gets). A comment line every 15 s keeps the connection alive. Reconnect with `Last-Event-ID` (browsers\' EventSource does) to get every event after that one; nothing is lost in between.';

export function createPushRoutes(engine: Engine): { routes: Route[]; close(): void } {
  const streams = new EventStreams(engine);
  const routes: Route[] = [
    defineRoute({
      method: 'GET',
      path: '/api/v1/events',
      operationId: 'streamEvents',
      auth: 'user',
      rateClass: 'read',
      tag: 'public',
      eventStream: true,
      summary: "A live stream of every event of the caller's orders",
      description: `${STREAM_TEXT} Without \`Last-Event-ID\` the stream starts with the next event. At most 20 streams per key.`,
      response: S.OrderEvent,
      errors: ['BAD_REQUEST', ...AUTH],
      handler: (ctx) => {
        const principal = ctx.principal!;
        return streams.answer({ userId: principal.user.id, key: principal.keyId }, lastEventId(ctx));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/orders/:id/events',
      operationId: 'streamOrderEvents',
      auth: 'user',
      rateClass: 'read',
      tag: 'public',
      eventStream: true,
      summary: "A live stream of one order's events, from its first",
      description: `${STREAM_TEXT} Without \`Last-Event-ID\` the stream starts with the order's first event, so it also says what already happened.`,
      response: S.OrderEvent,
      errors: ['BAD_REQUEST', 'NOT_FOUND', ...AUTH],
      handler: (ctx) => {
        const principal = ctx.principal!;
        ctx.engine.orders.peek(principal.user.id, ctx.params.id ?? ''); // NOT_FOUND for others' orders
        return streams.answer({ userId: principal.user.id, orderId: ctx.params.id ?? '', key: principal.keyId }, lastEventId(ctx));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/webhooks',
      operationId: 'createWebhook',
      auth: 'user',
      rateClass: 'write',
      idempotent: true,
      tag: 'public',
      successStatus: 201,
      summary: 'Register a webhook endpoint; its signing secret is shown once',
      description:
        'Deliveries follow Standard Webhooks 1.0: a POST of the event as JSON with `webhook-id` (the event id, the same on every retry), `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per valid secret, space-separated during a rotation). Any 2xx answer within 10 s is success; otherwise the delivery is retried with exponential backoff for 24 hours, and survives restarts. At most 10 endpoints per user.',
      request: { body: S.CreateWebhookBody },
      response: S.WebhookWithSecret,
      errors: ['BAD_REQUEST', 'IDEMPOTENCY_MISMATCH', 'IDEMPOTENCY_IN_PROGRESS', ...AUTH],
      handler: (ctx) => {
        const body = parseInput(S.CreateWebhookBody, ctx.body ?? {}, 'the request body');
        const { webhook, secret } = webhooks(ctx).create(userId(ctx), body);
        return ok({ ...presentWebhook(webhook), secret }, 201);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/webhooks',
      operationId: 'listWebhooks',
      auth: 'user',
      rateClass: 'read',
      tag: 'public',
      summary: "The caller's webhook endpoints (never their secrets)",
      response: S.WebhookList,
      errors: [...AUTH],
      handler: (ctx) => ok({ items: webhooks(ctx).list(userId(ctx)).map(presentWebhook) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/webhooks/:id',
      operationId: 'getWebhook',
      auth: 'user',
      rateClass: 'read',
      tag: 'public',
      summary: 'One webhook endpoint',
      response: S.Webhook,
      errors: ['NOT_FOUND', ...AUTH],
      handler: (ctx) => ok(presentWebhook(webhooks(ctx).get(userId(ctx), ctx.params.id ?? ''))),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/webhooks/:id',
      operationId: 'deleteWebhook',
      auth: 'user',
      rateClass: 'write',
      tag: 'public',
      summary: 'Delete a webhook endpoint; its pending deliveries are dropped',
      response: S.Deleted,
      errors: ['NOT_FOUND', ...AUTH],
      handler: (ctx) => {
        const id = ctx.params.id ?? '';
        webhooks(ctx).remove(userId(ctx), id);
        return ok({ id, deleted: true });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/webhooks/:id/rotate-secret',
      operationId: 'rotateWebhookSecret',
      auth: 'user',
      rateClass: 'write',
      tag: 'public',
      summary: 'A new signing secret, shown once; the previous one keeps signing during the overlap',
      description:
        'During the overlap (default 24 h) every delivery carries two signatures, so receivers can switch secrets without losing one.',
      request: { body: S.RotateWebhookSecretBody },
      response: S.WebhookWithSecret,
      errors: ['BAD_REQUEST', 'NOT_FOUND', ...AUTH],
      handler: (ctx) => {
        const body = parseInput(S.RotateWebhookSecretBody, ctx.body ?? {}, 'the request body');
        const { webhook, secret } = webhooks(ctx).rotate(
          userId(ctx),
          ctx.params.id ?? '',
          body.overlapSeconds === undefined ? undefined : body.overlapSeconds * 1000,
        );
        return ok({ ...presentWebhook(webhook), secret });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/webhooks/:id/deliveries',
      operationId: 'listWebhookDeliveries',
      auth: 'user',
      rateClass: 'read',
      tag: 'public',
      summary: "An endpoint's deliveries, newest first, with their attempts and the receiver's last answer",
      request: { query: S.ListDeliveriesQuery },
      response: S.WebhookDeliveryList,
      errors: ['BAD_REQUEST', 'NOT_FOUND', ...AUTH],
      handler: (ctx) => {
        const q = parseInput(S.ListDeliveriesQuery, ctx.query, 'the query');
        if (q.cursor !== undefined && !/^dlv[0-9a-z]{25}$/.test(q.cursor))
          throw new AppError('BAD_REQUEST', 'cursor: not a cursor this API returned.');
        const page = webhooks(ctx).deliveries(userId(ctx), ctx.params.id ?? '', q);
        return ok({ items: page.items.map(presentDelivery), nextCursor: page.nextCursor });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
      operationId: 'redeliverWebhookDelivery',
      auth: 'user',
      rateClass: 'write',
      tag: 'public',
      successStatus: 201,
      summary: "Send a delivery's event again, as a new delivery with the same webhook-id",
      request: { body: S.EmptyBody },
      response: S.WebhookDelivery,
      errors: ['BAD_REQUEST', 'NOT_FOUND', ...AUTH],
      handler: (ctx) => {
        if (ctx.body !== undefined) parseInput(S.EmptyBody, ctx.body, 'the request body');
        return ok(presentDelivery(webhooks(ctx).redeliver(userId(ctx), ctx.params.id ?? '', ctx.params.deliveryId ?? '')), 201);
      },
    }),
  ];
  return { routes, close: () => streams.close() };
}
