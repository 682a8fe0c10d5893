/**
 * The durable outbox: turns every committed change of the store into a published event
 * (DESIGN.md, "Events": at-least-once, so a NATS outage loses nothing; consumers de-duplicate by
 * resourceVersion).
 *
 * It watches the store from a persisted watermark (the last revision whose event `publish`
 * acknowledged) and calls `publish` for each event strictly in revision order. A failing publish
 * is retried for the same event with capped exponential back-off until it succeeds: never skipped,
 * never reordered; the outage is logged once when it starts and once when it ends. The watermark
 * is written atomically but lazily (every `flushIntervalMs` or `flushEveryEvents`), so after a
 * crash the events since the last write are published again — duplicates, never gaps.
 *
 * History: the store must still hold the events after the watermark when the outbox restarts or
 * falls behind. Wire the file store's `retainFrom` to {@link Outbox.watermark} (before the outbox
 * exists, to the value {@link readWatermark} returns), so that compaction and the history limit
 * keep them. If the store still answers ERR_COMPACTED for the watermark (the history is gone, e.g.
 * a store without retention, or a deleted watermark file on an old store), the outbox logs an error
 * naming the revisions it could not publish and resumes from the oldest revision kept. When its
 * watch is cut off for falling behind (also ERR_COMPACTED, with its revision still kept), it just
 * watches again from where it was. Keep the watermark file beside the data it describes
 * (`$TOKENPLANE_HOME/data/apiserver/outbox-watermark`), so that both are wiped together; a
 * watermark ahead of the store is logged as an error and publishing starts from revision 0.
 *
 * Trace: publishing follows the store asynchronously, outside the request that made the change,
 * so each event is published inside a child span of the trace its writer recorded with the change
 * (`StorageEvent.traceparent`, see {@link publishTrace}): the NATS message carries that trace to the
 * consumers, and the outbox's own lines about the event (`event published` at debug level, the
 * outage error) carry it in the log. An event without one is published outside any trace.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { childOf, type Logger, parseTraceparent, runWithTrace, type TraceContext } from "@tokenplane/runtime";
import { type Storage, StorageError, type StorageEvent } from "../storage/storage.js";
import { readWatermark, writeWatermark } from "./watermark-file.js";

/** The logger methods the outbox uses. */
export type OutboxLog = Pick<Logger, "debug" | "info" | "warn" | "error">;

/**
 * The trace an event is published in: a new span, child of the writer's `traceparent` recorded
 * with the change, with the trace id as its request id (the writer's request id is not stored);
 * undefined when the change has none or it does not parse (then it is published without a trace,
 * rather than in a made-up one).
 */
export function publishTrace(event: StorageEvent): TraceContext | undefined {
  if (event.traceparent === undefined) return undefined;
  const parsed = parseTraceparent(event.traceparent);
  if ("error" in parsed) return undefined;
  return childOf({ ...parsed.value, requestId: parsed.value.traceId });
}

/** Options of {@link startOutbox}. */
export interface OutboxOptions {
  /** The store whose changes are published. */
  readonly storage: Storage;
  /** Path of the watermark file (created on the first flush). */
  readonly watermarkFile: string;
  /** Publishes one event; resolves once the broker acknowledged it. Rejections are retried. */
  readonly publish: (event: StorageEvent) => Promise<void>;
  /** Where outages, recoveries and lost history are reported, and (debug) each event published. */
  readonly log: OutboxLog;
  /** First retry delay after a failed publish (ms, default 100); doubles per failure. */
  readonly retryDelayMs?: number;
  /** Largest retry delay (ms, default 5000). */
  readonly maxRetryDelayMs?: number;
  /** Longest time an acknowledged revision waits before the watermark is written (ms, default 100). */
  readonly flushIntervalMs?: number;
  /** Write the watermark at the latest after this many events (count, default 1000). */
  readonly flushEveryEvents?: number;
  /** Called after each watermark write with the revision written (metrics, tests). */
  readonly onWatermark?: (revision: number) => void;
}

/** A running outbox. */
export interface Outbox {
  /** The last revision whose event `publish` acknowledged. */
  publishedRevision(): number;
  /** The last revision written to the watermark file (what a restart resumes after). */
  watermark(): number;
  /** Stops publishing (an in-flight publish is awaited, a retry wait is cut short) and writes the watermark. */
  stop(): Promise<void>;
}

/** Starts publishing from the persisted watermark. */
export function startOutbox(options: OutboxOptions): Outbox {
  const { storage, publish, log, watermarkFile } = options;
  const retryDelayMs = options.retryDelayMs ?? 100;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5000;
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  const flushEveryEvents = options.flushEveryEvents ?? 1000;

  const read = readWatermark(watermarkFile);
  if ("invalid" in read) {
    log.error(
      { file: watermarkFile, content: read.invalid },
      "outbox watermark is unreadable; publishing from the start",
    );
  }
  let published = read.revision;
  let persisted = read.revision;
  let sinceFlush = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushChain: Promise<void> = Promise.resolve();
  let flushFailing = false;
  let outage: { since: number; failures: number } | undefined;
  const stopping = new AbortController();

  const flush = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    sinceFlush = 0;
    const revision = published;
    flushChain = flushChain.then(async () => {
      if (revision <= persisted) return;
      try {
        await writeWatermark(watermarkFile, revision);
        persisted = revision;
        if (flushFailing) log.info({ file: watermarkFile, revision }, "outbox watermark written again");
        flushFailing = false;
        options.onWatermark?.(revision);
      } catch (err) {
        // Publishing goes on; the next flush tries again. Logged once per streak of failures.
        if (!flushFailing) log.error({ err, file: watermarkFile }, "cannot write the outbox watermark");
        flushFailing = true;
      }
    });
    return flushChain;
  };

  const acknowledged = (revision: number) => {
    published = revision;
    if (++sinceFlush >= flushEveryEvents) void flush();
    else timer ??= setTimeout(() => void flush(), flushIntervalMs).unref();
  };

  /**
   * Publishes `event` in its writer's trace (when it has one), retrying until it succeeds; false
   * if stopped first.
   */
  const publishUntilDone = (event: StorageEvent): Promise<boolean> => {
    const trace = publishTrace(event);
    return trace === undefined ? publishRetrying(event) : runWithTrace(trace, () => publishRetrying(event));
  };
  const publishRetrying = async (event: StorageEvent): Promise<boolean> => {
    let delay = retryDelayMs;
    for (;;) {
      try {
        await publish(event);
        log.debug({ revision: event.revision, key: event.kv.key, type: event.type }, "event published");
        if (outage !== undefined) {
          const { failures, since } = outage;
          log.info(
            { revision: event.revision, failures, outageMs: Date.now() - since },
            "event publishing recovered",
          );
          outage = undefined;
        }
        return true;
      } catch (err) {
        if (outage === undefined) {
          outage = { since: Date.now(), failures: 0 };
          log.error({ err, revision: event.revision }, "event publishing failed; retrying until it succeeds");
        }
        outage.failures++;
      }
      if (stopping.signal.aborted) return false;
      try {
        await sleep(delay, undefined, { signal: stopping.signal });
      } catch {
        return false; // stopped while waiting
      }
      delay = Math.min(delay * 2, maxRetryDelayMs);
    }
  };

  const run = async () => {
    if (published > storage.currentRevision()) {
      // A watermark from another store (the data directory was replaced, the watermark kept):
      // waiting for its revision would skip everything this store has. Republish from the start.
      log.error(
        { watermark: published, currentRevision: storage.currentRevision(), file: watermarkFile },
        "outbox watermark is ahead of the storage; publishing from the start",
      );
      published = 0;
    }
    let watchDelay = retryDelayMs;
    while (!stopping.signal.aborted) {
      try {
        for await (const event of storage.watch("", published, stopping.signal)) {
          if (!(await publishUntilDone(event))) return;
          acknowledged(event.revision);
          watchDelay = retryDelayMs;
        }
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
        if (err.code === "ERR_CLOSED") {
          log.info({ published }, "storage closed; outbox stops");
          return;
        }
        if (err.code === "ERR_COMPACTED") {
          const oldest = typeof err.current === "number" ? err.current : storage.oldestRevision();
          if (published < oldest) {
            log.error(
              { fromRevision: published + 1, toRevision: oldest, oldestRevision: oldest },
              "events were compacted before they were published; resuming from the oldest revision kept",
            );
            acknowledged(oldest);
          }
          continue; // else: cut off for falling behind; watch again from `published`
        }
        log.error({ err, published }, "outbox watch failed; retrying");
        await sleep(watchDelay, undefined, { signal: stopping.signal }).catch(() => {});
        watchDelay = Math.min(watchDelay * 2, maxRetryDelayMs);
      }
    }
  };

  const running = run().catch((err: unknown) => {
    log.error({ err }, "outbox stopped by an unexpected error");
  });

  return {
    publishedRevision: () => published,
    watermark: () => persisted,
    async stop() {
      stopping.abort();
      await running;
      await flush();
    },
  };
}
