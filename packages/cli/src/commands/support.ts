/**
 * Support tools for operators (docs/decisions.md D100, D101): `jiema admin orders` searches
 * orders across users, shows one with its history, and refunds one with a reason; `jiema ledger`
 * lists a user's ledger.
 */
import { admin, withAdmin } from './admin.js';
import { CliError, dollars, EXIT, table, type Output } from '../output.js';
import type { Command } from './command.js';

const FILTERS = {
  user: 'userId',
  status: 'status',
  phone: 'phone',
  service: 'service',
  from: 'from',
  to: 'to',
  cursor: 'cursor',
  limit: 'limit',
} as const;

type AdminOrder = {
  id: string;
  userId: string;
  status: string;
  service: string;
  country: string;
  phone: string;
  chargedCents: string;
  createdAt: string;
  activationId: string;
  smsCode: string | null;
  endReason: string | null;
};

const orderRows = (items: AdminOrder[]) =>
  table(
    items.map((o) => ({ ...o, charged: dollars(o.chargedCents), code: o.smsCode })),
    ['id', 'userId', 'status', 'service', 'country', 'phone', 'charged', 'code', 'createdAt'],
  );

function showOrder(out: Output, d: any): void {
  const o = d.order as AdminOrder;
  out.line(`order ${o.id}  ${o.status}${o.endReason ? ` (${o.endReason})` : ''}`);
  out.line(`  user:        ${d.user.id}  ${d.user.displayName}  balance ${dollars(d.user.balanceCents)}`);
  out.line(`  number:      ${o.phone}  ${o.service} in country ${o.country}`);
  out.line(`  upstream:    activation ${o.activationId}`);
  out.line(`  charged:     ${dollars(o.chargedCents)}${o.smsCode ? `   code: ${o.smsCode}` : ''}`);
  out.line('  history:');
  for (const h of d.history as Array<{ at: string; event: string; detail: string }>)
    out.line(`    ${h.at}  ${h.event.padEnd(16)} ${h.detail}`);
}

export const adminOrdersCommand: Command = {
  command: 'admin <area> [action] [id]',
  describe:
    'Support tools (admin): `admin orders` searches orders across users, `admin orders get <id>` shows one, `admin orders refund <id> --reason …` refunds one',
  builder: (y) =>
    withAdmin(y)
      .positional('area', { choices: ['orders'] as const, describe: 'What to work on' })
      .positional('action', { choices: ['list', 'get', 'refund'] as const, default: 'list', describe: 'list (default), get or refund' })
      .positional('id', { type: 'string', describe: 'The order id (get, refund)' })
      .option('user', { type: 'string', alias: 'user-id', describe: "list: only this user's orders" })
      .option('status', {
        choices: ['WAITING', 'RECEIVED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const,
        describe: 'list: only orders in this status',
      })
      .option('phone', { type: 'string', describe: 'list: the full number (+, spaces and dashes ignored)' })
      .option('service', { type: 'string', describe: 'list: the service code, e.g. tg' })
      .option('from', { type: 'string', describe: 'list: created at or after (ISO 8601, e.g. 2026-12-01)' })
      .option('to', { type: 'string', describe: 'list: created before (ISO 8601)' })
      .option('limit', { type: 'number', describe: 'list: orders per page (default 50, at most 500)' })
      .option('cursor', { type: 'string', describe: "list: the previous page's next cursor" })
      .option('reason', { type: 'string', describe: 'refund: why (kept on the ledger row)' })
      .example('$0 admin orders --phone "+60 12-345 6789"', "A customer's orders by their number")
      .example('$0 admin orders --user cl0abc… --status COMPLETED --from 2026-12-01', "One user's completed orders since December")
      .example('$0 admin orders get ck0xyz…', 'One order: its upstream activation id and history')
      .example('$0 admin orders refund ck0xyz… --reason "ticket 812: the code was rejected"', 'Refund it through the ledger'),
  handler: async (args, out) => {
    const call = admin(args);
    const id = args.id as string | undefined;
    if (args.action === 'list') {
      if (id !== undefined) throw new CliError(`admin orders list takes no id; to see one order: jiema admin orders get ${id}`, EXIT.USAGE);
      const q = new URLSearchParams();
      for (const [flag, param] of Object.entries(FILTERS)) if (args[flag] !== undefined) q.set(param, String(args[flag]));
      const page = await call('GET', `/admin/v1/orders${q.size ? `?${q}` : ''}`);
      out.data(page, () => {
        out.line(orderRows(page.items));
        if (page.nextCursor) out.line(`More: add --cursor ${page.nextCursor}`);
      });
      return;
    }
    if (!id)
      throw new CliError(`admin orders ${String(args.action)} needs an order id (see: jiema admin orders --user <userId>).`, EXIT.USAGE);
    if (args.action === 'get') {
      const d = await call('GET', `/admin/v1/orders/${encodeURIComponent(id)}`);
      out.data(d, () => showOrder(out, d));
      return;
    }
    if (typeof args.reason !== 'string' || args.reason.trim() === '')
      throw new CliError('admin orders refund needs --reason "…" (kept on the ledger row).', EXIT.USAGE);
    const r = await call('POST', `/admin/v1/orders/${encodeURIComponent(id)}/refund`, { reason: args.reason });
    out.data(r, () =>
      out.line(
        `Refunded ${dollars(r.entry.amountCents)} for order ${r.order.id} → balance of ${r.user.id} is ${dollars(r.user.balanceCents)} (ledger ${r.entry.id}).`,
      ),
    );
  },
};

export const ledgerCommand: Command = {
  command: 'ledger <userId>',
  describe: "A user's ledger, newest first: every balance change with its reason (admin)",
  builder: (y) =>
    withAdmin(y)
      .positional('userId', { type: 'string', demandOption: true })
      .option('limit', { type: 'number', default: 100, describe: 'Rows per page (at most 500)' })
      .option('cursor', { type: 'string', describe: "The previous page's next cursor" })
      .example('$0 ledger cl0abc…', 'The latest 100 rows'),
  handler: async (args, out) => {
    const call = admin(args);
    const user = encodeURIComponent(args.userId as string);
    const q = new URLSearchParams({ limit: String(args.limit) });
    if (args.cursor !== undefined) q.set('cursor', String(args.cursor));
    const [u, page] = await Promise.all([call('GET', `/admin/v1/users/${user}`), call('GET', `/admin/v1/users/${user}/ledger?${q}`)]);
    out.data(page, () => {
      out.line(`${u.id}  ${u.displayName}  balance ${dollars(u.balanceCents)}`);
      out.line(
        table(
          page.items.map((e: any) => ({ ...e, amount: dollars(e.amountCents), balanceAfter: dollars(e.balanceAfterCents) })),
          ['createdAt', 'kind', 'amount', 'balanceAfter', 'orderId', 'reason', 'id'],
        ),
      );
      if (page.nextCursor) out.line(`More: add --cursor ${page.nextCursor}`);
    });
  },
};
