/**
 * Webhook endpoints (a jiema extension; jiema.my has none): register one (its secret is shown
 * once), list, delete, rotate the secret, see deliveries and redeliver; and `verify`, which
 * checks a delivery your receiver got (Standard Webhooks 1.0).
 */
import type { RequestOptions, WriteOptions } from '../http/requester.js';
import { verifyWebhook, type VerifyOptions, type WebhookEvent, type WebhookHeaders } from '../webhooks/verify.js';
import { ApiResource } from './api-resource.js';

export type WebhookEventType = 'order.updated' | 'sms.received';

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEventType[];
  createdAt: string;
  /** While a rotation overlaps: until when the previous secret still signs. */
  previousSecretUntil: string | null;
}

export interface WebhookWithSecret extends Webhook {
  /** `whsec_…`: shown only in this answer. Keep it to verify deliveries. */
  secret: string;
}

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  /** The event, and the `webhook-id` of every attempt. */
  eventId: string;
  eventType: WebhookEventType;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface WebhookDeliveryPage {
  items: WebhookDelivery[];
  nextCursor: string | null;
}

const webhookPath = (id: string, action = ''): string => {
  if (typeof id !== 'string' || id === '')
    throw new TypeError('A webhook id is a non-empty string, such as the `id` webhooks.create returned.');
  return `/webhooks/${encodeURIComponent(id)}${action}`;
};

export class WebhooksApi extends ApiResource {
  /** Registers an endpoint; the answer's `secret` is shown only this once. */
  create(input: { url: string; events?: WebhookEventType[] }, options?: WriteOptions): Promise<WebhookWithSecret> {
    return this.request<WebhookWithSecret>(
      {
        method: 'POST',
        path: '/webhooks',
        body: { url: input.url, ...(input.events && { events: input.events }) },
        rateClass: 'write',
        reconcile: 'Call client.webhooks.list() to see whether the endpoint was created.',
      },
      options,
    );
  }

  async list(options?: RequestOptions): Promise<Webhook[]> {
    return (await this.request<{ items: Webhook[] }>({ method: 'GET', path: '/webhooks', rateClass: 'read' }, options)).items;
  }

  get(id: string, options?: RequestOptions): Promise<Webhook> {
    return this.request<Webhook>({ method: 'GET', path: webhookPath(id), rateClass: 'read' }, options);
  }

  /** Deletes the endpoint; deliveries still pending for it are dropped. */
  delete(id: string, options?: RequestOptions): Promise<{ id: string; deleted: true }> {
    return this.request<{ id: string; deleted: true }>({ method: 'DELETE', path: webhookPath(id), rateClass: 'write' }, options);
  }

  /** A new secret (shown once); the previous one keeps signing for `overlapSeconds` (default 24 h). */
  rotateSecret(id: string, input: { overlapSeconds?: number } = {}, options?: WriteOptions): Promise<WebhookWithSecret> {
    return this.request<WebhookWithSecret>(
      {
        method: 'POST',
        path: webhookPath(id, '/rotate-secret'),
        body: input,
        rateClass: 'write',
        reconcile: 'The secret may have changed: rotate again and use the new one.',
      },
      options,
    );
  }

  /** The endpoint's deliveries, newest first. */
  deliveries(id: string, query: { limit?: number; cursor?: string } = {}, options?: RequestOptions): Promise<WebhookDeliveryPage> {
    return this.request<WebhookDeliveryPage>(
      { method: 'GET', path: webhookPath(id, '/deliveries'), query: { limit: query.limit, cursor: query.cursor }, rateClass: 'read' },
      options,
    );
  }

  /** Sends a delivery's event again (same `webhook-id`), as a new delivery. */
  redeliver(id: string, deliveryId: string, options?: WriteOptions): Promise<WebhookDelivery> {
    return this.request<WebhookDelivery>(
      {
        method: 'POST',
        path: webhookPath(id, `/deliveries/${encodeURIComponent(deliveryId)}/redeliver`),
        rateClass: 'write',
        reconcile: 'List the deliveries to see whether it was queued.',
      },
      options,
    );
  }

  /**
   * Checks a delivery your receiver got, and returns its event: `rawBody` exactly as received,
   * its headers, and the endpoint's secret. Throws JiemaWebhookVerificationError on a bad
   * signature or a timestamp more than 5 minutes away. Needs no network and no API key.
   */
  verify<T = Record<string, unknown>>(
    rawBody: string | Uint8Array,
    headers: WebhookHeaders,
    secret: string,
    options?: VerifyOptions,
  ): WebhookEvent<T> {
    return verifyWebhook<T>(rawBody, headers, secret, options);
  }
}
