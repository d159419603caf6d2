/**
 * The wire contract of push (docs/decisions.md D90–D99) as zod schemas: long-poll's query,
 * webhook endpoints and their deliveries, the event every channel carries. Re-exported by
 * http/schemas.ts so the OpenAPI document names them. All of it is an extension.
 */
import { z } from 'zod';
import { ORDER_STATUSES } from '../order/order.js';
import { EVENT_TYPES } from './event-log.js';

const ext = { 'x-jiema-extension': true } as const;
const isoTime = z.string().describe('ISO 8601 time, UTC');

export const MAX_WAIT_SECONDS = 30;

export const GetOrderQuery = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .optional()
    .describe(
      `Long-poll: hold the answer up to this many seconds (at most ${MAX_WAIT_SECONDS}) until the order differs from \`since\`; it still counts as one poll. An extension: jiema.my answers at once.`,
    )
    .meta(ext),
  since: z
    .string()
    .max(64)
    .optional()
    .describe(
      'What the client has: the `smsHistory` length (`0`, `1`…: answer once another SMS arrived or the order ended) or the `updatedAt` it saw (answer once the order changed). Without it, the first change after the request. An extension.',
    )
    .meta(ext),
});

export const EventType = z
  .enum(EVENT_TYPES)
  .describe('`order.updated` on every change of an order (created too); `sms.received` when an SMS arrived');

export const CreateWebhookBody = z.strictObject({
  url: z
    .string()
    .min(1)
    .max(2048)
    .describe(
      'Where to POST events: http or https. A production server refuses private and loopback addresses unless started with `--allow-private-webhooks`.',
    ),
  events: z.array(EventType).min(1).max(EVENT_TYPES.length).optional().describe('Which events to send. Default: all.'),
});

export const RotateWebhookSecretBody = z.strictObject({
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .optional()
    .describe(
      'How long the previous secret keeps signing too (a second signature in `webhook-signature`). Default 86400 (24 h); 0 ends it now.',
    ),
});

export const Webhook = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(EventType),
  createdAt: isoTime,
  previousSecretUntil: isoTime.nullable().describe('While a rotation overlaps: until when the previous secret still signs'),
});

export const WebhookWithSecret = Webhook.extend({
  secret: z
    .string()
    .describe('`whsec_` + base64: the signing secret, shown only in this answer. Verify deliveries with it (Standard Webhooks).'),
});

export const WebhookList = z.object({ items: z.array(Webhook) });

export const WebhookDelivery = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventId: z.string().describe('The event, and the `webhook-id` header of every attempt'),
  eventType: EventType,
  state: z.enum(['pending', 'delivered', 'failed']).describe('`failed`: 24 hours of retries passed, or the endpoint was deleted'),
  attempts: z.number().int(),
  nextAttemptAt: isoTime.nullable(),
  lastStatus: z.number().int().nullable().describe("The receiver's last HTTP status, or null when it could not be reached"),
  lastError: z.string().nullable(),
  lastAttemptAt: isoTime.nullable(),
  deliveredAt: isoTime.nullable(),
  createdAt: isoTime,
});

export const WebhookDeliveryList = z.object({ items: z.array(WebhookDelivery), nextCursor: z.string().nullable() });

export const ListDeliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(64).optional().describe("The previous page's nextCursor"),
});

export const Deleted = z.object({ id: z.string(), deleted: z.literal(true) });

/** What a webhook's body and an SSE event's `data` hold. */
export const OrderEvent = z.object({
  id: z.string().describe('The event id: `webhook-id` and the SSE `id`'),
  type: EventType,
  timestamp: isoTime,
  data: z
    .object({ id: z.string(), status: z.enum(ORDER_STATUSES) })
    .loose()
    .describe('The order, as `GET /api/v1/orders/{id}` shows it'),
});
