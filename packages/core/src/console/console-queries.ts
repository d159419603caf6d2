/**
 * What the console shows across users: orders newest first, searched by id, phone or user, and
 * orders by id for the live feed, each with its user's name. The operators' own order search (#14)
 * replaces the search here once it lands (docs/decisions.md D116). The reads are the
 * ConsoleQueryStore's.
 */
import { presentOrder, type PublicOrder } from '../order/order-presenter.js';
import type { ConsoleOrderSearch, ConsoleQueryStore, OrderWithUser } from './console-query-store.js';

export type ConsoleOrder = PublicOrder & { userId: string; userName: string };

export type OrderSearch = ConsoleOrderSearch;

const toConsoleOrder = (r: OrderWithUser): ConsoleOrder => ({ ...presentOrder(r.order), userId: r.order.userId, userName: r.userName });

export class ConsoleQueries {
  constructor(private readonly store: ConsoleQueryStore) {}

  orders(search: OrderSearch): { items: ConsoleOrder[]; nextCursor: string | null } {
    // One more than a page: whether it comes tells whether there is a next page.
    const rows = this.store.searchOrders({ ...search, limit: search.limit + 1 });
    const items = rows.slice(0, search.limit).map(toConsoleOrder);
    return { items, nextCursor: rows.length > search.limit ? items.at(-1)!.id : null };
  }

  ordersById(ids: readonly string[]): ConsoleOrder[] {
    return this.store.ordersById(ids).map(toConsoleOrder);
  }

  balances(userIds: readonly string[]): Array<{ userId: string; balanceCents: string }> {
    return this.store.balances(userIds).map((r) => ({ userId: r.userId, balanceCents: String(r.balanceCents) }));
  }
}
