/** Waits (in real time, a few ms at a time) until `condition` holds; the test timeout bounds it. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** The rejection of `p`; fails the test if it resolves. */
export async function rejectionOf(p: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(p).then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}
