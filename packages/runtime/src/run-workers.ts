/**
 * The workers of a {@link WorkQueue}: client-go controllers' `Run(ctx, workers)` loops with the
 * `processNextWorkItem` pattern (sync, forget on success, retry rate-limited on failure), each item
 * reconciled in a span of the trace it was added in.
 */
import type { Logger } from "./logger.js";
import { childOf, runWithTrace } from "./trace.js";
import type { WorkQueue } from "./workqueue.js";

/** Options of {@link runWorkers}. */
export interface RunWorkersOptions<T> {
  /** Number of concurrent workers (client-go controllers' `Run(ctx, workers)`); at least 1. */
  readonly workers: number;
  /**
   * Reconciles one item. Resolving = done (the item's back-off is forgotten); throwing = retry
   * with `addRateLimited`, unless `maxRetries` is reached.
   */
  readonly sync: (item: T) => Promise<void>;
  /** Retries before an item is given up (forgotten and logged); default unlimited. */
  readonly maxRetries?: number;
  readonly log: Logger;
  /** Workers stop taking items once this aborts (the queue should be shut down too). */
  readonly signal?: AbortSignal;
}

/**
 * Runs `workers` loops that take items from `queue` and `sync` them, retrying failures with the
 * queue's rate limiter (client-go's `processNextWorkItem` pattern). Each item is processed in a new
 * span of the trace it was added in ({@link WorkQueue.traceOf}; outside any trace when it has
 * none), so a retry it schedules keeps that trace too. Resolves when every worker has stopped: the
 * queue was shut down and emptied, or `signal` aborted.
 */
export async function runWorkers<T extends NonNullable<unknown>>(
  queue: WorkQueue<T>,
  options: RunWorkersOptions<T>,
): Promise<void> {
  const { sync, log, signal, maxRetries } = options;
  const worker = async () => {
    while (signal?.aborted !== true) {
      const item = await queue.get();
      if (item === undefined) return;
      const trace = queue.traceOf(item);
      await (trace === undefined ? processItem(item) : runWithTrace(childOf(trace), () => processItem(item)));
    }
  };
  const processItem = async (item: T) => {
    try {
      await sync(item);
      queue.forget(item);
    } catch (err) {
      const requeues = queue.numRequeues(item);
      if (maxRetries === undefined || requeues < maxRetries) {
        log.warn({ err, queue: queue.name, item, requeues }, "sync failed; retrying");
        queue.addRateLimited(item);
      } else {
        log.error({ err, queue: queue.name, item, requeues }, "sync failed too often; giving up");
        queue.forget(item);
      }
    } finally {
      queue.done(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.workers) }, worker));
}
