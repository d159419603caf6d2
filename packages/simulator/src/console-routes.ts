/**
 * What the console's account pages can do only against the simulator: a simulated top-up, the
 * stand-in for jiema.my's payment page (docs/decisions.md D115). The money is fake, but it moves
 * like real money: one ledger row, in one transaction, with its reason.
 */
import { defineRoute, ok, parseInput, schemas as S, type Route } from '@jiema/core/http';
import { z } from 'zod';
import type { World } from './world.js';

/** At most $1,000 per top-up: enough for any test, and a typo cannot make a balance absurd. */
const TopUpBody = z.strictObject({ amountCents: z.number().int().min(1).max(100_000) });

export function simulatorConsoleRoutes(w: World): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/console/v1/me/topup',
      operationId: 'consoleTopUp',
      auth: 'user',
      rateClass: 'write',
      tag: 'console',
      summary: 'Simulator only: add simulated money to your balance (a top-up ledger row)',
      request: { body: TopUpBody },
      response: z.object({ balanceCents: z.string(), entry: S.AdminLedgerEntry }),
      errors: ['BAD_REQUEST', 'AUTH_MISSING', 'AUTH_INVALID', 'FORBIDDEN', 'RATE_LIMITED'],
      handler: (ctx) => {
        const { amountCents } = parseInput(TopUpBody, ctx.body ?? {}, 'the request body');
        const userId = ctx.principal!.user.id;
        const { engine } = w;
        const entry = engine.money.adjust({ userId, kind: 'topup', amountCents, reason: 'simulated top-up (console)' });
        return ok({
          balanceCents: String(entry.balanceAfterCents),
          entry: {
            id: entry.id,
            kind: entry.kind,
            amountCents: String(entry.amountCents),
            balanceAfterCents: String(entry.balanceAfterCents),
            orderId: entry.orderId,
            reason: entry.reason,
            createdAt: new Date(entry.createdAt).toISOString(),
          },
        });
      },
    }),
  ];
}
