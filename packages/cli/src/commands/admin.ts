/**
 * Operator commands against a server's admin API: users, top-ups, keys, bans, pricing.
 */
import type { Argv } from 'yargs';
import { adminClient, type AdminArgs } from '../admin-client.js';
import { loadStructuredFile } from '../load-file.js';
import { DEFAULT_DB, DEFAULT_URL, localConnection } from '../local-state.js';
import { CliError, dollars, EXIT, table, type Output } from '../output.js';
import { schemas } from '@jiema/core/http';
import { z } from 'zod';
import type { Command } from './command.js';

export const withAdmin = (y: Argv) =>
  y
    .option('base-url', { type: 'string', describe: `The server (env JIEMA_BASE_URL; default: the local server's, ${DEFAULT_URL})` })
    .option('admin-token', { type: 'string', describe: 'Admin token (env JIEMA_ADMIN_TOKEN; default: the local server’s)' })
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'Where a local server keeps its admin token' });

export const admin = (args: Record<string, unknown>) => {
  const local = localConnection(args['base-url'] as string | undefined, args.db as string);
  return adminClient({
    baseUrl: local.baseUrl,
    adminToken: (args['admin-token'] as string | undefined) ?? local.adminToken,
    db: args.db as string,
    local: local.local,
  } satisfies AdminArgs);
};

const userLine = (u: { id: string; displayName: string; balanceCents: string; banned: boolean }) =>
  `${u.id}  ${u.displayName}  ${dollars(u.balanceCents)}${u.banned ? '  (banned)' : ''}`;
const keyRows = (items: Array<Record<string, unknown>>) => table(items, ['id', 'name', 'hint', 'active', 'createdAt', 'lastUsedAt']);

const usersCommand: Command = {
  command: 'users <action> [id]',
  describe: 'Create, list or show users (admin)',
  builder: (y) =>
    withAdmin(y)
      .positional('action', { choices: ['create', 'list', 'get'] as const, describe: 'What to do' })
      .positional('id', { type: 'string', describe: 'The user id (for get)' })
      .option('name', { type: 'string', describe: 'Display name (create)' })
      .option('lang', { type: 'string', describe: 'Language code, e.g. en (create)' })
      .option('balance', { type: 'number', describe: 'Opening balance in cents (create)' })
      .example('$0 users create --name Alice --balance 1200', 'A user with $12.00')
      .example('$0 users list --json', 'Every user, as JSON'),
  handler: async (args, out) => {
    const call = admin(args);
    if (args.action === 'create') {
      const u = await call('POST', '/admin/v1/users', {
        ...(args.name !== undefined && { displayName: args.name }),
        ...(args.lang !== undefined && { lang: args.lang }),
        ...(args.balance !== undefined && { balanceCents: args.balance }),
      });
      out.data(u, () => out.line(`Created ${userLine(u)}.  Next: jiema keys create ${u.id}`));
    } else if (args.action === 'list') {
      const page = await call('GET', '/admin/v1/users?limit=500');
      out.data(page, () =>
        out.line(
          table(
            page.items.map((u: any) => ({ ...u, balance: dollars(u.balanceCents) })),
            ['id', 'displayName', 'balance', 'banned', 'createdAt'],
          ),
        ),
      );
    } else {
      if (!args.id) throw new CliError('users get needs a user id.', EXIT.USAGE);
      const u = await call('GET', `/admin/v1/users/${encodeURIComponent(args.id as string)}`);
      out.data(u, () => out.line(userLine(u)));
    }
  },
};

const topupCommand: Command = {
  command: 'topup <userId> <cents>',
  describe: "Credit (or, negative, debit) a user's balance; always a ledger row with a reason (admin)",
  builder: (y) =>
    withAdmin(y)
      .positional('userId', { type: 'string', demandOption: true })
      .positional('cents', { type: 'number', demandOption: true, describe: 'Whole cents; negative to debit' })
      .option('reason', { type: 'string', default: 'top-up from the jiema CLI', describe: 'Kept on the ledger row' })
      .example('$0 topup cl0abc… 500 --reason "USDT tx 0x12…"', 'Add $5.00'),
  handler: async (args, out) => {
    const r = await admin(args)('POST', `/admin/v1/users/${encodeURIComponent(args.userId as string)}/balance`, {
      amountCents: args.cents,
      reason: args.reason,
    });
    out.data(r, () =>
      out.line(`${r.entry.kind} ${dollars(r.entry.amountCents)} → balance ${dollars(r.user.balanceCents)} (ledger ${r.entry.id})`),
    );
  },
};

const keysCommand: Command = {
  command: 'keys <action> <userId> [keyId]',
  describe: "Create, list or revoke a user's API keys (admin)",
  builder: (y) =>
    withAdmin(y)
      .positional('action', { choices: ['create', 'list', 'revoke'] as const })
      .positional('userId', { type: 'string', demandOption: true })
      .positional('keyId', { type: 'string', describe: 'The key id (revoke)' })
      .option('name', { type: 'string', describe: 'A label for the new key' })
      .example('$0 keys create cl0abc… --name ci', 'A new key, shown once')
      .example('$0 keys revoke cl0abc… key0xyz…', 'Stops working on the next request'),
  handler: async (args, out) => {
    const call = admin(args);
    const user = encodeURIComponent(args.userId as string);
    if (args.action === 'create') {
      const r = await call('POST', `/admin/v1/users/${user}/keys`, args.name ? { name: args.name } : {});
      out.data(r, () => out.line(`${r.apiKey}\n(key ${r.key.id}; shown only now — store it safely)`));
    } else if (args.action === 'list') {
      const r = await call('GET', `/admin/v1/users/${user}/keys`);
      out.data(r, () => out.line(keyRows(r.items)));
    } else {
      if (!args.keyId) throw new CliError('keys revoke needs the key id (see: jiema keys list <userId>).', EXIT.USAGE);
      const r = await call('POST', `/admin/v1/users/${user}/keys/${encodeURIComponent(args.keyId as string)}/revoke`);
      out.data(r, () => out.line(`Revoked ${r.id} (…${r.hint}).`));
    }
  },
};

const banCommand = (ban: boolean): Command => ({
  command: `${ban ? 'ban' : 'unban'} <userId>`,
  describe: ban ? 'Ban a user: every key answers 403 (admin)' : 'Lift a ban (admin)',
  builder: (y) => {
    const b = withAdmin(y).positional('userId', { type: 'string', demandOption: true });
    return (ban ? b.option('reason', { type: 'string', describe: 'Why' }) : b).example(
      `$0 ${ban ? 'ban' : 'unban'} cl0abc…`,
      ban ? 'Ban this user' : 'Unban this user',
    );
  },
  handler: async (args, out) => {
    const u = await admin(args)(
      'POST',
      `/admin/v1/users/${encodeURIComponent(args.userId as string)}/${ban ? 'ban' : 'unban'}`,
      ban && args.reason ? { reason: args.reason } : {},
    );
    out.data(u, () => out.line(`${ban ? 'Banned' : 'Unbanned'} ${userLine(u)}`));
  },
});

const PricingFile = z.strictObject({ rules: z.array(schemas.PricingRuleSchema) });

const pricingCommand: Command = {
  command: 'pricing <action> [file]',
  describe: 'Show the pricing rules, or replace them from a YAML/JSON file (admin)',
  builder: (y) =>
    withAdmin(y)
      .positional('action', { choices: ['get', 'set'] as const })
      .positional('file', { type: 'string', describe: 'For set: a file with { rules: [{ service, country, markupBps, floorCents }] }' })
      .example('$0 pricing get', 'The rules and the fallback')
      .example('$0 pricing set pricing.yaml', 'Replace every rule'),
  handler: async (args, out: Output) => {
    const call = admin(args);
    const show = (r: { rules: Array<Record<string, unknown>>; fallback: Record<string, unknown> }) => {
      out.line(table(r.rules, ['service', 'country', 'markupBps', 'floorCents']));
      out.line(`fallback: ${r.fallback.markupBps} bps, floor ${r.fallback.floorCents} cent(s)`);
    };
    if (args.action === 'get') {
      const r = await call('GET', '/admin/v1/pricing');
      out.data(r, () => show(r));
    } else {
      if (!args.file) throw new CliError('pricing set needs a file.', EXIT.USAGE);
      const body = loadStructuredFile(args.file as string, PricingFile);
      const r = await call('PUT', '/admin/v1/pricing', body);
      out.data(r, () => show(r));
    }
  },
};

export const adminCommands: Command[] = [usersCommand, topupCommand, keysCommand, banCommand(true), banCommand(false), pricingCommand];
