/**
 * Commands for integrators, against any jiema-compatible server (ours or jiema.my), through the
 * SDK: balance, services, prices, buy (optionally waiting for the code), orders.
 */
import type { Argv } from 'yargs';
import { JiemaClient, JiemaConnectionError, JiemaError, JiemaOrderEndedError, JiemaWaitTimeoutError, type Order } from '@jiema/sdk';
import { DEFAULT_URL } from '../local-state.js';
import { CliError, dollars, EXIT, table } from '../output.js';
import { durationMs } from '../replay/scenario-schema.js';
import type { Command } from './command.js';

const withKey = (y: Argv) =>
  y
    .option('base-url', { type: 'string', default: DEFAULT_URL, describe: 'The server (env JIEMA_BASE_URL), e.g. https://jiema.my' })
    .option('api-key', { type: 'string', describe: 'Your jm_… key (env JIEMA_API_KEY)' });

function client(args: Record<string, unknown>): JiemaClient {
  const apiKey = args['api-key'] as string | undefined;
  if (!apiKey) throw new CliError('No API key: pass --api-key or set JIEMA_API_KEY.', EXIT.USAGE);
  return new JiemaClient({ apiKey, baseUrl: args['base-url'] as string });
}

/** SDK errors as CLI errors: the server's code and message, or "cannot reach". */
async function sdk<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof JiemaConnectionError) throw new CliError(`Cannot reach the server: ${err.message}`, EXIT.UNREACHABLE);
    if (err instanceof JiemaError) throw new CliError(`${err.code}: ${err.message}`, EXIT.FAILED, { code: err.code, status: err.status });
    throw err;
  }
}

const duration = (text: unknown, flag: string): number => {
  if (typeof text === 'number') return text;
  if (typeof text === 'string' && /^\d+(\.\d+)?(ms|s|m|h)$/.test(text)) return durationMs(text);
  if (typeof text === 'string' && /^\d+$/.test(text)) return Number(text);
  throw new CliError(`--${flag} takes a duration like 90s, 5m or 1500ms.`, EXIT.USAGE);
};

const orderLine = (o: Order) =>
  `${o.id}  ${o.status.padEnd(9)}  ${o.service}/${o.country}  ${o.phone}  ${dollars(o.chargedCents)}${o.smsCode ? `  code ${o.smsCode}` : ''}`;

const balanceCommand: Command = {
  command: 'balance',
  describe: 'Show the balance of the key’s account',
  builder: (y) => withKey(y).example('JIEMA_API_KEY=jm_… $0 balance', 'e.g. "$9.68 (968 cents)"'),
  handler: async (args, out) => {
    const a = await sdk(() => client(args).account.get());
    out.data(a, () => out.line(`${dollars(a.balanceCents)} (${a.balanceCents} cents) — ${a.displayName}, ${a.id}`));
  },
};

const servicesCommand: Command = {
  command: 'services',
  describe: 'List services with stock',
  builder: (y) => withKey(y).example('$0 services', 'Code, slug, cheapest price and stock of every service'),
  handler: async (args, out) => {
    const items = await sdk(() => client(args).services.list());
    out.data({ items }, () => out.line(table(items.map((s) => ({ ...s, from: `$${s.minCostUsd.toFixed(2)}` })), ['code', 'slug', 'name', 'from', 'totalCount', 'countryCount'])));
  },
};

const pricesCommand: Command = {
  command: 'prices <service>',
  describe: 'Price and stock per country for one service',
  builder: (y) => withKey(y).positional('service', { type: 'string', demandOption: true, describe: 'Code (tg) or slug (telegram)' }).example('$0 prices telegram', 'Every country selling Telegram numbers'),
  handler: async (args, out) => {
    const p = await sdk(() => client(args).prices.list({ service: args.service as string }));
    out.data(p, () => out.line(table(p.items.map((i) => ({ ...i, price: dollars(i.priceCents) })), ['countryId', 'countrySlug', 'price', 'count'])));
  },
};

const buyCommand: Command = {
  command: 'buy <service> <country>',
  describe: 'Buy a number; with --wait, wait for the code (Ctrl-C before any SMS cancels for a refund)',
  builder: (y) =>
    withKey(y)
      .positional('service', { type: 'string', demandOption: true, describe: 'Code or slug' })
      .positional('country', { type: 'string', demandOption: true, describe: 'Country id (7) or slug (my)' })
      .option('wait', { type: 'boolean', default: false, describe: 'Wait for the SMS and print its code' })
      .option('timeout', { type: 'string', default: '20m', describe: 'With --wait: give up after this long' })
      .option('interval', { type: 'string', default: '3s', describe: 'With --wait: poll this often (3–5 s is what the API asks)' })
      .example('$0 buy telegram my --wait', 'Prints the phone at once, then the code when it arrives'),
  handler: async (args, out) => {
    const c = client(args);
    const order = await sdk(() => c.orders.create({ service: args.service as string, country: /^\d+$/.test(String(args.country)) ? Number(args.country) : String(args.country) }));
    out.data(order, () => out.line(`Phone: ${order.phone}   (order ${order.id}, charged ${dollars(order.chargedCents)}, expires ${order.expiresAt})`));
    if (!args.wait) return;
    if (!out.json) out.line('Waiting for the SMS… (Ctrl-C cancels the order for a refund while no SMS has arrived)');
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      const got = await c.orders.waitForSms(order.id, { timeoutMs: duration(args.timeout, 'timeout'), intervalMs: duration(args.interval, 'interval'), signal: abort.signal });
      out.data(got, () => out.line(`Code: ${got.smsCode ?? '(none found)'}\nSMS:  ${got.smsBody}`));
    } catch (err) {
      if (abort.signal.aborted) {
        const cancelled = await c.orders.cancel(order.id).then(
          (r) => `Cancelled ${r.id}; the charge is refunded.`,
          (e: unknown) => (e instanceof JiemaError ? `Not cancelled (${e.code}): ${e.message}` : `Not cancelled: ${String(e)}`),
        );
        throw new CliError(`Interrupted. ${cancelled}`, 130);
      }
      if (err instanceof JiemaOrderEndedError || err instanceof JiemaWaitTimeoutError) throw new CliError(err.message, EXIT.FAILED);
      return sdk(() => Promise.reject(err));
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

const ordersCommand: Command = {
  command: 'orders <action> [id]',
  describe: 'List, show, cancel, or ask for the next SMS of your orders',
  builder: (y) =>
    withKey(y)
      .positional('action', { choices: ['list', 'get', 'cancel', 'next'] as const })
      .positional('id', { type: 'string', describe: 'The order id (get, cancel, next)' })
      .option('status', { choices: ['WAITING', 'RECEIVED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const, describe: 'list: only this status' })
      .option('limit', { type: 'number', default: 20, describe: 'list: how many' })
      .example('$0 orders list --status RECEIVED', 'Orders with a code waiting to be used')
      .example('$0 orders next ck0abc…', 'Keep the number and wait for another SMS'),
  handler: async (args, out) => {
    const c = client(args);
    const id = args.id as string | undefined;
    if (args.action !== 'list' && !id) throw new CliError(`orders ${args.action as string} needs an order id.`, EXIT.USAGE);
    if (args.action === 'list') {
      const items: Order[] = [];
      await sdk(async () => {
        for await (const o of c.orders.list({ ...(args.status !== undefined && { status: args.status as Order['status'] }), limit: Math.min(100, args.limit as number) })) {
          items.push(o);
          if (items.length >= (args.limit as number)) break;
        }
      });
      out.data({ items }, () => out.line(items.length ? items.map(orderLine).join('\n') : '(no orders)'));
    } else if (args.action === 'get') {
      const o = await sdk(() => c.orders.get(id!));
      out.data(o, () => out.line(`${orderLine(o)}${o.smsBody ? `\nSMS: ${o.smsBody}` : ''}`));
    } else {
      const r = await sdk(() => (args.action === 'cancel' ? c.orders.cancel(id!) : c.orders.nextSms(id!)));
      out.data(r, () => out.line(`${r.id} is now ${r.status}.`));
    }
  },
};

export const automationCommands: Command[] = [balanceCommand, servicesCommand, pricesCommand, buyCommand, ordersCommand];
