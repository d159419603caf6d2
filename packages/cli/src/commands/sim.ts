/**
 * Terminal tools for a running local simulator (docs/decisions.md D77): `jiema events` tails its
 * event log; `jiema sim …` delivers an SMS, moves or shows the clock, arms, lists and clears
 * faults, sets stock, changes the behaviour and resets it — all through the control API
 * (/_sim/v1), with the admin token a local `jiema serve` saved, or --admin-token.
 */
import type { Argv } from 'yargs';
import { BEHAVIOUR_PRESETS } from '@jiema/simulator';
import { eventLine, isEventPoll, type EventLike } from '../event-lines.js';
import { CliError, EXIT, table } from '../output.js';
import { parseDuration } from './automation.js';
import { admin, withAdmin } from './admin.js';
import type { Command } from './command.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const eventsCommand: Command = {
  command: 'events',
  describe: "Show a local simulator's event log: requests, order changes, SMS, faults (--follow to keep watching)",
  builder: (y: Argv) =>
    withAdmin(y)
      .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'Keep printing new events until Ctrl-C' })
      .option('type', {
        type: 'string',
        array: true,
        describe: 'Only these types or prefixes: request (api), order, sms, fault, upstream, clock',
      })
      .option('since', { type: 'number', default: 0, describe: 'Only events after this sequence number' })
      .example('$0 events --follow', 'Watch the local server as it works')
      .example('$0 events --type order --type sms --json', 'Order changes and SMS, one JSON object a line'),
  handler: async (args, out) => {
    const call = admin(args);
    const types = ((args.type as string[] | undefined) ?? []).map((t) => (t === 'request' ? 'api' : t));
    const wanted = (e: EventLike) =>
      !isEventPoll(e) && (types.length === 0 || types.some((t) => e.type === t || e.type.startsWith(`${t}.`)));
    let since = args.since as number;
    let stop = false;
    const onSigint = () => {
      stop = true;
    };
    if (args.follow) process.once('SIGINT', onSigint);
    try {
      for (;;) {
        const page = await call<{ items: EventLike[]; count: number }>('GET', `/_sim/v1/events?since=${since}&limit=5000`);
        // A reset starts the log over: follow the new one from its start.
        if (page.count < since) {
          since = 0;
          continue;
        }
        for (const e of page.items) {
          since = e.seq;
          if (!wanted(e)) continue;
          out.line(out.json ? JSON.stringify(e) : eventLine(e));
        }
        if (!args.follow || stop) return;
        if (page.items.length < 5000) await sleep(500);
        if (stop) return;
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

const ACTIONS = ['sms', 'advance', 'clock', 'fault', 'stock', 'reset', 'behaviour', 'webhook'] as const;

const simCommand: Command = {
  command: 'sim <action> [args..]',
  describe: 'Drive a local simulator: sms, advance, clock, fault (arm|list|clear), stock, reset, behaviour, webhook',
  builder: (y: Argv) =>
    withAdmin(y)
      .positional('action', { choices: ACTIONS, describe: 'What to do' })
      .positional('args', { type: 'string', array: true, describe: 'The action’s arguments (see the examples)' })
      .option('body', { type: 'string', describe: 'sms: the SMS text (default: a realistic one with a code)' })
      .option('seed', { type: 'number', describe: 'reset: start over with this seed' })
      .option('behaviour', { choices: BEHAVIOUR_PRESETS, describe: 'reset: start over with this behaviour' })
      .option('error', { type: 'string', describe: 'fault arm error: which upstream error (NO_NUMBERS, UNAVAILABLE, …)' })
      .option('method', { type: 'string', describe: 'fault arm: which upstream call (buy, status, cancel, …; default every one)' })
      .option('times', { type: 'number', describe: 'fault arm: fire on the next N matching calls' })
      .option('probability', { type: 'number', describe: 'fault arm: fire on each matching call with this probability' })
      .option('latency', { type: 'string', describe: 'fault arm latency|timeout: real time to wait first, e.g. 2s' })
      .example('$0 sim sms ck0abc…', 'Deliver a realistic SMS with a code to that order now')
      .example('$0 sim sms ck0abc… --body "Your code is 1234"', 'Deliver this text')
      .example('$0 sim advance 5m', 'Move virtual time 5 minutes forward (SMS, expiries happen on the way)')
      .example('$0 sim clock', 'Show virtual time and the clock mode')
      .example('$0 sim fault arm error --error UNAVAILABLE --method buy --times 1', 'The next buy at the upstream fails')
      .example('$0 sim fault list', 'Armed faults and how often each fired')
      .example('$0 sim fault clear', 'Clear every fault (or: fault clear <id>)')
      .example('$0 sim stock tg my 0', 'No Telegram numbers in Malaysia')
      .example('$0 sim behaviour scripted', 'From now on no SMS comes unless sent with `sim sms`')
      .example('$0 sim reset --seed 7', 'Start over: empty data, clock back to its start')
      .example(
        '$0 sim webhook http://127.0.0.1:8080/upstream/v1/sms-activate/$SECRET',
        "The SMS-Activate facade POSTs every SMS there, as the provider's incoming-SMS webhook (`webhook off` stops it)",
      ),
  handler: async (args, out) => {
    const call = admin(args);
    const rest = ((args.args as unknown[] | undefined) ?? []).map(String);
    const need = (n: number, usage: string) => {
      if (rest.length < n) throw new CliError(`Usage: jiema sim ${usage}`, EXIT.USAGE);
    };
    switch (args.action as (typeof ACTIONS)[number]) {
      case 'sms': {
        need(1, 'sms <order id> [--body "text"]');
        const r = await call(
          'POST',
          `/_sim/v1/orders/${encodeURIComponent(rest[0]!)}/sms`,
          args.body === undefined ? {} : { body: args.body },
        );
        out.data(r, () => out.line(`SMS delivered to ${r.orderId}${r.code ? ` (code ${r.code})` : ''}: ${r.body}`));
        return;
      }
      case 'advance': {
        need(1, 'advance <duration>, e.g. 90s or 5m');
        const r = await call('POST', '/_sim/v1/clock/advance', { ms: parseDuration(rest[0], 'advance') });
        out.data(r, () => out.line(`Virtual time is now ${r.now}.`));
        return;
      }
      case 'clock': {
        const r = await call('GET', '/_sim/v1/clock');
        out.data(r, () =>
          out.line(
            `${r.now}  (${r.mode === 'accelerated' ? `${r.speed}× real time` : r.mode === 'manual' ? 'manual: moves with `jiema sim advance`' : 'real time'})`,
          ),
        );
        return;
      }
      case 'fault':
        return fault(call, rest, args, out);
      case 'stock': {
        need(3, 'stock <service> <country> <count>');
        const count = Number(rest[2]);
        if (!Number.isInteger(count) || count < 0)
          throw new CliError(`stock: the count is a whole number, got ${JSON.stringify(rest[2])}.`, EXIT.USAGE);
        const r = await call('PUT', '/_sim/v1/stock', {
          service: rest[0],
          country: /^\d+$/.test(rest[1]!) ? Number(rest[1]) : rest[1],
          count,
        });
        out.data(r, () => out.line(`Stock of ${r.service} in country ${r.country} is now ${r.count}.`));
        return;
      }
      case 'behaviour': {
        need(1, `behaviour <${BEHAVIOUR_PRESETS.join('|')}>`);
        if (!(BEHAVIOUR_PRESETS as readonly string[]).includes(rest[0]!))
          throw new CliError(`behaviour is one of ${BEHAVIOUR_PRESETS.join(', ')}; got ${rest[0]}.`, EXIT.USAGE);
        const r = await call('PUT', '/_sim/v1/behaviour', { preset: rest[0] });
        out.data(r, () => out.line(`Numbers bought from now on behave "${rest[0]}".`));
        return;
      }
      case 'webhook': {
        need(1, 'webhook <url|off>');
        const url = rest[0] === 'off' ? null : rest[0]!;
        const r = await call('PUT', '/_sim/v1/facade', { smsActivateWebhookUrl: url });
        out.data(r, () =>
          out.line(
            url === null
              ? 'The SMS-Activate facade sends no webhooks now.'
              : `The SMS-Activate facade now POSTs every SMS it delivers to ${url} (retried while it fails).`,
          ),
        );
        return;
      }
      case 'reset': {
        const r = await call('POST', '/_sim/v1/reset', {
          ...(args.seed !== undefined && { seed: args.seed }),
          ...(args.behaviour !== undefined && { behaviour: args.behaviour }),
        });
        out.data(r, () => out.line('The simulator started over: empty data, fresh upstream, clock back to its start.'));
        return;
      }
    }
  },
};

async function fault(
  call: ReturnType<typeof admin>,
  rest: string[],
  args: Record<string, unknown>,
  out: Parameters<Command['handler']>[1],
): Promise<void> {
  const sub = rest[0];
  if (sub === 'list') {
    const r = await call('GET', '/_sim/v1/faults');
    out.data(r, () =>
      out.line(
        r.items.length ? table(r.items, ['id', 'kind', 'error', 'method', 'remaining', 'probability', 'fired']) : '(no faults armed)',
      ),
    );
  } else if (sub === 'clear') {
    const r = await call('DELETE', rest[1] ? `/_sim/v1/faults/${encodeURIComponent(rest[1])}` : '/_sim/v1/faults');
    out.data(r, () => out.line(`Cleared ${r.cleared} fault(s).`));
  } else if (sub === 'arm') {
    const kind = rest[1];
    if (!kind)
      throw new CliError(
        'Usage: jiema sim fault arm <error|timeout|latency|garbage|reply> [--error X] [--method buy] [--times N | --probability P]',
        EXIT.USAGE,
      );
    const spec = {
      kind,
      ...(args.error !== undefined && { error: args.error }),
      ...(args.method !== undefined && { method: args.method }),
      ...(args.times !== undefined && { count: args.times }),
      ...(args.probability !== undefined && { probability: args.probability }),
      ...(args.latency !== undefined && { latencyMs: parseDuration(args.latency, 'latency') }),
    };
    const f = await call('POST', '/_sim/v1/faults', spec);
    out.data(f, () =>
      out.line(
        `Armed ${f.id}: ${f.kind}${f.error ? ` ${f.error}` : ''} on ${f.method}${f.remaining !== null ? `, next ${f.remaining} call(s)` : ''}${f.probability !== undefined ? `, probability ${f.probability}` : ''}.`,
      ),
    );
  } else {
    throw new CliError('Usage: jiema sim fault arm|list|clear …', EXIT.USAGE);
  }
}

export const simCommands: Command[] = [eventsCommand, simCommand];
