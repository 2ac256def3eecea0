/**
 * Statements of one transaction sent without waiting for each other (postgres.js sends them back to
 * back on the transaction's connection; PGlite queues them in order). `settle` waits for all of them
 * and reports the first failure in the order sent: once a statement fails, the transaction is aborted
 * and every later one fails with "current transaction is aborted", which is not the news.
 */
export class StatementPipeline {
  private readonly sent: Promise<unknown>[] = [];

  add<T>(statement: PromiseLike<T>): Promise<T> {
    const running = Promise.resolve(statement);
    running.catch(() => {}); // reported by settle, in order
    this.sent.push(running);
    return running;
  }

  async settle(): Promise<void> {
    const outcomes = await Promise.allSettled(this.sent);
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}

/**
 * A turn of the event loop: the driver sends what was queued (postgres.js describes an unprepared
 * statement first and sends its execution only when the answer is read) before more computing.
 */
export const letDriverRun = () => new Promise<void>((resolve) => setImmediate(resolve));
