/**
 * `jiema listen --forward-to http://localhost:3000/hook` (like `stripe listen`): streams the key's
 * events from the server (server-sent events, docs/decisions.md D97) and forwards each to a local
 * URL, signed exactly as webhooks are (Standard Webhooks, with this session's secret, printed at
 * start, or --secret), printing one line per delivery with the receiver's status. A dropped
 * stream is resumed from the last event id, so nothing is missed while reconnecting.
 */
import { randomBytes } from 'node:crypto';
import type { Argv } from 'yargs';
import { signWebhookPayload } from '@jiema/sdk';
import { DEFAULT_URL } from '../local-state.js';
import { CliError, EXIT, type Output } from '../output.js';
import type { Command } from './command.js';

interface SseEvent {
  id: string;
  type: string;
  data: string;
}

/** Parses a server-sent event stream into events (comments and retry lines are skipped). */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const fields: Record<string, string> = {};
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        fields[name] = name === 'data' && fields.data !== undefined ? `${fields.data}\n${value}` : value;
      }
      if (fields.id !== undefined && fields.data !== undefined) yield { id: fields.id, type: fields.event ?? 'message', data: fields.data };
    }
  }
}

async function forward(target: string, secret: string, e: SseEvent): Promise<{ status: number | null; error?: string; ms: number }> {
  const started = performance.now();
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const res = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'jiema-listen/1',
        'webhook-id': e.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhookPayload(secret, e.id, timestamp, e.data),
      },
      body: e.data,
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, ms: Math.round(performance.now() - started) };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: null, error: cause ?? (err as Error).message, ms: Math.round(performance.now() - started) };
  }
}

export const listenCommand: Command = {
  command: 'listen',
  describe: "Stream the key's events and forward each, signed like a webhook, to a local URL",
  builder: (y: Argv) =>
    y
      .option('base-url', { type: 'string', default: DEFAULT_URL, describe: 'The server (env JIEMA_BASE_URL)' })
      .option('api-key', { type: 'string', describe: 'Your jm_… key (env JIEMA_API_KEY)' })
      .option('forward-to', { type: 'string', demandOption: true, describe: 'Where to POST each event, e.g. http://localhost:3000/hook' })
      .option('events', { type: 'string', describe: 'Only these types, comma-separated (order.updated,sms.received); default all' })
      .option('secret', {
        type: 'string',
        describe: 'Sign with this whsec_… secret instead of a new one for the session (env JIEMA_SECRET)',
      })
      .option('max-events', { type: 'number', describe: 'Stop after forwarding this many events' })
      .example('$0 listen --forward-to http://localhost:3000/hook', 'Every order event of the key, POSTed to your local receiver'),
  handler: async (args, out: Output) => {
    const apiKey = args['api-key'] as string | undefined;
    if (!apiKey) throw new CliError('No API key: pass --api-key or set JIEMA_API_KEY.', EXIT.USAGE);
    const target = args['forward-to'] as string;
    if (!/^https?:\/\//.test(target))
      throw new CliError('--forward-to takes an http:// or https:// URL, e.g. http://localhost:3000/hook.', EXIT.USAGE);
    const secret = (args.secret as string | undefined) ?? `whsec_${randomBytes(24).toString('base64')}`;
    if (!/^whsec_[A-Za-z0-9+/]+=*$/.test(secret)) throw new CliError('--secret is "whsec_" followed by base64.', EXIT.USAGE);
    const types =
      typeof args.events === 'string'
        ? new Set(
            args.events
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean),
          )
        : undefined;
    const max = args['max-events'] as number | undefined;
    const base = (args['base-url'] as string).replace(/\/+$/, '');
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigint);
    let lastId: string | undefined;
    let forwarded = 0;
    let announced = false;
    let retryMs = 500;
    try {
      while (!stop.signal.aborted) {
        let res: Response;
        try {
          res = await fetch(`${base}/api/v1/events`, {
            headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream', ...(lastId && { 'last-event-id': lastId }) },
            signal: stop.signal,
          });
        } catch (err) {
          if (stop.signal.aborted) break;
          if (!announced) throw new CliError(`Cannot reach ${base}: ${(err as Error).message}`, EXIT.UNREACHABLE);
          out.error(`Connection lost; reconnecting in ${retryMs} ms…`);
          await new Promise((r) => setTimeout(r, retryMs));
          retryMs = Math.min(retryMs * 2, 10_000);
          continue;
        }
        if (!res.ok || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
          const body = (await res.json().catch(() => undefined)) as { code?: string; message?: string } | undefined;
          if (res.status === 404 && !body?.code)
            throw new CliError(`${base} has no event stream (GET /api/v1/events): it is not a jiema server with push.`, EXIT.FAILED);
          throw new CliError(`${body?.code ?? res.status}: ${body?.message ?? 'the server refused the event stream.'}`, EXIT.FAILED, {
            code: body?.code,
            status: res.status,
          });
        }
        retryMs = 500;
        if (!announced) {
          announced = true;
          out.data({ ready: true, forwardTo: target, secret }, () => {
            out.line(`Ready! Forwarding events of ${base} to ${target}`);
            out.line(`Your webhook signing secret is ${secret} (Standard Webhooks; verify with client.webhooks.verify). Ctrl-C stops.`);
          });
        }
        try {
          for await (const e of readEvents(res.body!)) {
            lastId = e.id;
            if (types && !types.has(e.type)) continue;
            const r = await forward(target, secret, e);
            const time = new Date().toISOString().slice(11, 19);
            out.data({ id: e.id, type: e.type, status: r.status, ms: r.ms, ...(r.error && { error: r.error }) }, () =>
              out.line(
                `${time}  --> ${e.type.padEnd(13)} ${e.id}  <-- ${r.status === null ? `failed (${r.error})` : `[${r.status}]`} ${r.ms} ms`,
              ),
            );
            forwarded += 1;
            if (max !== undefined && forwarded >= max) {
              stop.abort();
              break;
            }
          }
        } catch (err) {
          if (stop.signal.aborted) break;
          out.error(`Stream interrupted (${(err as Error).message}); resuming after ${lastId ?? 'the start'}…`);
        }
      }
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
  },
};
