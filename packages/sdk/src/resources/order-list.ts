/**
 * The answer of `orders.list()`: awaiting it fetches one page; iterating it with `for await`
 * walks every page, following `nextCursor`. Pages are fetched lazily and the first one once.
 */
import { JiemaInvalidResponseError } from '../errors/client-errors.js';
import type { Order, OrderPage } from '../types.js';

export type PageFetcher = (cursor: string | undefined) => Promise<OrderPage>;

export class OrderList implements PromiseLike<OrderPage>, AsyncIterable<Order> {
  readonly #fetch: PageFetcher;
  readonly #cursor: string | undefined;
  #first: Promise<OrderPage> | undefined;

  constructor(fetch: PageFetcher, cursor: string | undefined) {
    this.#fetch = fetch;
    this.#cursor = cursor;
  }

  then<A = OrderPage, B = never>(
    onFulfilled?: ((page: OrderPage) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.firstPage().then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<OrderPage | B> {
    return this.firstPage().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<OrderPage> {
    return this.firstPage().finally(onFinally);
  }

  /** Every page, newest orders first, until `nextCursor` is null. */
  async *pages(): AsyncGenerator<OrderPage, void, undefined> {
    let page = await this.firstPage();
    const seen = new Set<string>();
    for (;;) {
      yield page;
      const next = page.nextCursor;
      if (next === null || next === undefined) return;
      if (seen.has(next))
        throw new JiemaInvalidResponseError({ message: `GET /orders returned cursor ${next} twice; stopping instead of looping.` });
      seen.add(next);
      page = await this.#fetch(next);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Order, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  private firstPage(): Promise<OrderPage> {
    this.#first ??= this.#fetch(this.#cursor);
    return this.#first;
  }
}
