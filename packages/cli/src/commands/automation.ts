/**
 * Commands for integrators, against any jiema-compatible server (ours or jiema.my), through the
 * SDK: balance, services, prices, buy (optionally waiting for the code), orders.
 */
import type { Argv } from 'yargs';
import { JiemaClient, JiemaConnectionError, JiemaError, JiemaOrderEndedError, JiemaWaitTimeoutError, type Order } from '@jiema/sdk';
import { didYouMean } from '@jiema/core';
import { DEFAULT_DB, DEFAULT_URL, localConnection } from '../local-state.js';
import { CliError, dollars, EXIT, table } from '../output.js';
import type { Command } from './command.js';

const withKey = (y: Argv) =>
  y
    .option('base-url', {
      type: 'string',
      describe: `The server (env JIEMA_BASE_URL), e.g. https://jiema.my (default: the local server's, ${DEFAULT_URL})`,
    })
    .option('api-key', { type: 'string', describe: 'Your jm_… key (env JIEMA_API_KEY; default: the demo key a local `jiema serve` saved)' })
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'Where a local server keeps its saved credentials' });

function client(args: Record<string, unknown>): JiemaClient {
  const local = localConnection(args['base-url'] as string | undefined, args.db as string);
  const apiKey = (args['api-key'] as string | undefined) ?? local.apiKey;
  if (!apiKey)
    throw new CliError(
      `No API key: pass --api-key or set JIEMA_API_KEY (a local \`jiema serve\` saves its demo key for ${local.baseUrl === DEFAULT_URL ? 'the CLI' : local.baseUrl}).`,
      EXIT.USAGE,
    );
  return new JiemaClient({ apiKey, baseUrl: local.baseUrl });
}

/**
 * SDK errors as CLI errors: the server's code and message, or "cannot reach". For an unknown
 * service or country, a server that did not suggest one (jiema.my) gets a suggestion from its
 * own lists (docs/decisions.md D75).
 */
async function sdk<T>(work: () => Promise<T>, typed?: { client: JiemaClient; service?: string; country?: string | number }): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof JiemaConnectionError) throw new CliError(`Cannot reach the server: ${err.message}`, EXIT.UNREACHABLE);
    if (err instanceof JiemaError) {
      const hint = typed && !/did you mean/i.test(err.message) ? await suggestion(err.code, typed) : '';
      throw new CliError(`${err.code}: ${err.message}${hint}`, EXIT.FAILED, { code: err.code, status: err.status });
    }
    throw err;
  }
}

async function suggestion(code: string, typed: { client: JiemaClient; service?: string; country?: string | number }): Promise<string> {
  try {
    if (code === 'BAD_SERVICE' && typed.service !== undefined) {
      const services = await typed.client.services.list();
      return didYouMean(
        typed.service,
        services.map((s) => ({ value: s.slug, names: [s.code, s.slug, s.name], label: s.name })),
      );
    }
    if (code === 'BAD_COUNTRY' && typed.country !== undefined) {
      const countries = await typed.client.countries.list();
      return didYouMean(
        typed.country,
        countries.map((c) => ({ value: c.slug, names: [c.slug, c.name], label: `${c.name}, id ${c.id}` })),
      );
    }
  } catch {
    // A suggestion is a nicety: the error stands without it.
  }
  return '';
}

/**
 * A duration flag: "90s", "5m", "1h", "1500ms", or a bare number of seconds (docs/decisions.md D73).
 * Checked before anything is bought: a bad flag must never leave a charged order behind.
 */
export function parseDuration(text: unknown, flag: string): number {
  const value = String(text).trim();
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  if (!m)
    throw new CliError(
      `--${flag} takes a duration like 90s, 5m or 1500ms (a bare number is seconds); got ${JSON.stringify(value)}.`,
      EXIT.USAGE,
    );
  return Math.round(Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']);
}

/** The shortest poll interval `buy --wait` uses: the API asks for 3–5 s; below 1 s is never useful. */
const MIN_INTERVAL_MS = 1_000;

const clockText = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1_000) % 60).padStart(2, '0')}`;

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
    out.data({ items }, () =>
      out.line(
        table(
          items.map((s) => ({ ...s, from: `$${s.minCostUsd.toFixed(2)}` })),
          ['code', 'slug', 'name', 'from', 'totalCount', 'countryCount'],
        ),
      ),
    );
  },
};

const countriesCommand: Command = {
  command: 'countries',
  describe: 'List countries: the id and slug either goes in `buy <service> <country>`',
  builder: (y) => withKey(y).example('$0 countries', 'ID, slug and name of every country'),
  handler: async (args, out) => {
    const items = await sdk(() => client(args).countries.list());
    out.data({ items }, () =>
      out.line(
        table(
          items.map((c) => ({ ...c })),
          ['id', 'slug', 'name'],
        ),
      ),
    );
  },
};

const pricesCommand: Command = {
  command: 'prices <service>',
  describe: 'Price and stock per country for one service',
  builder: (y) =>
    withKey(y)
      .positional('service', { type: 'string', demandOption: true, describe: 'Code (tg) or slug (telegram)' })
      .example('$0 prices telegram', 'Every country selling Telegram numbers'),
  handler: async (args, out) => {
    const c = client(args);
    const p = await sdk(() => c.prices.list({ service: args.service as string }), { client: c, service: args.service as string });
    out.data(p, () =>
      out.line(
        table(
          p.items.map((i) => ({ ...i, price: dollars(i.priceCents) })),
          ['countryId', 'countrySlug', 'price', 'count'],
        ),
      ),
    );
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
      .option('timeout', {
        type: 'string',
        default: '20m',
        describe: 'With --wait: give up after this long and cancel for a refund (90s, 5m; a bare number is seconds)',
      })
      .option('interval', {
        type: 'string',
        default: '3s',
        describe: 'With --wait: poll this often (3–5 s is what the API asks; never below 1s)',
      })
      .example('$0 buy telegram my --wait', 'Prints the phone at once, then the code when it arrives'),
  handler: async (args, out) => {
    // Every flag is checked before the order is bought (docs/decisions.md D73).
    const c = client(args);
    const timeoutMs = parseDuration(args.timeout, 'timeout');
    if (timeoutMs <= 0) throw new CliError('--timeout must be longer than 0.', EXIT.USAGE);
    let intervalMs = parseDuration(args.interval, 'interval');
    if (intervalMs < MIN_INTERVAL_MS) {
      if (args.wait) out.error(`jiema: --interval ${String(args.interval)} is below the 1 s floor; polling every 1s.`);
      intervalMs = MIN_INTERVAL_MS;
    }
    const country = /^\d+$/.test(String(args.country)) ? Number(args.country) : String(args.country);
    const order = await sdk(() => c.orders.create({ service: args.service as string, country }), {
      client: c,
      service: args.service as string,
      country,
    });
    const live = !out.json && Boolean(process.stdout.isTTY);
    if (!args.wait || !live)
      out.data(order, () =>
        out.line(`Phone: ${order.phone}   (order ${order.id}, charged ${dollars(order.chargedCents)}, expires ${order.expiresAt})`),
      );
    if (!args.wait) return;
    if (live)
      out.line(
        `Phone: ${order.phone}   (order ${order.id}, charged ${dollars(order.chargedCents)})\nWaiting for the SMS… Ctrl-C cancels the order for a refund while no SMS has arrived.`,
      );
    else if (!out.json) out.line('Waiting for the SMS… (Ctrl-C cancels the order for a refund while no SMS has arrived)');
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    const started = Date.now();
    let status: string = order.status;
    // On a terminal: one line that keeps the phone, the status and the time waited up to date,
    // and a line of its own for every change of status.
    const render = () => process.stdout.write(`\r\x1b[2K  ${order.phone}  ${status.padEnd(9)}  ${clockText(Date.now() - started)}`);
    const ticker = live ? setInterval(render, 1_000) : undefined;
    if (live) render();
    const onPoll = (o: Order) => {
      if (o.status === status) return;
      if (live) process.stdout.write(`\r\x1b[2K  ${clockText(Date.now() - started)}  ${status} → ${o.status}\n`);
      status = o.status;
      if (live) render();
    };
    const stopTicker = () => {
      if (!ticker) return;
      clearInterval(ticker);
      process.stdout.write('\r\x1b[2K');
    };
    try {
      const got = await c.orders.waitForSms(order.id, { timeoutMs, intervalMs, signal: abort.signal, onPoll });
      stopTicker();
      if (live) out.line(`  ${clockText(Date.now() - started)}  ${status === got.status ? got.status : `${status} → ${got.status}`}`);
      out.data(got, () => out.line(`Code: ${got.smsCode ?? '(none found)'}\nSMS:  ${got.smsBody}`));
    } catch (err) {
      stopTicker();
      if (abort.signal.aborted) throw new CliError(`Interrupted. ${await cancelForRefund(c, order.id)}`, 130);
      if (err instanceof JiemaWaitTimeoutError) {
        const seen = err.order ? ` (last seen ${err.order.status})` : '';
        throw new CliError(
          `No SMS for order ${order.id} within ${timeoutMs / 1_000} s${seen}. ${await cancelForRefund(c, order.id)}`,
          EXIT.FAILED,
        );
      }
      if (err instanceof JiemaOrderEndedError) throw new CliError(err.message, EXIT.FAILED);
      return sdk(() => Promise.reject(err));
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

/** Cancels an order that got no SMS, for a refund; says what happened. */
async function cancelForRefund(c: JiemaClient, id: string): Promise<string> {
  return c.orders.cancel(id).then(
    (r) => `Cancelled ${r.id}; the charge is refunded.`,
    (e: unknown) => (e instanceof JiemaError ? `Not cancelled (${e.code}): ${e.message}` : `Not cancelled: ${String(e)}`),
  );
}

const ordersCommand: Command = {
  command: 'orders <action> [id]',
  describe: 'List, show, cancel, or ask for the next SMS of your orders',
  builder: (y) =>
    withKey(y)
      .positional('action', { choices: ['list', 'get', 'cancel', 'next'] as const })
      .positional('id', { type: 'string', describe: 'The order id (get, cancel, next)' })
      .option('status', {
        choices: ['WAITING', 'RECEIVED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const,
        describe: 'list: only this status',
      })
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
        for await (const o of c.orders.list({
          ...(args.status !== undefined && { status: args.status as Order['status'] }),
          limit: Math.min(100, args.limit as number),
        })) {
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

export const automationCommands: Command[] = [balanceCommand, servicesCommand, countriesCommand, pricesCommand, buyCommand, ordersCommand];
