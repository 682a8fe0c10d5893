/**
 * Durable, ordered consumption of lifecycle events (DESIGN.md "Events"): a JetStream durable pull
 * consumer with explicit acks, one message at a time, each handler run inside the trace context
 * the message carries. Delivery is at-least-once: handlers must be idempotent (consumers
 * de-duplicate by resourceVersion).
 */
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from "nats";
import { backoffDelay } from "./backoff.js";
import { systemClock } from "./clock.js";
import { ensureDurableConsumer } from "./ensure-consumer.js";
import { headersToRecord } from "./events.js";
import type { Logger } from "./logger.js";
import { extractTrace, runWithTrace } from "./trace.js";

/** One event as a handler sees it. */
export interface EventMessage {
  /** The subject it was published on. */
  readonly subject: string;
  /** The payload. */
  readonly data: Uint8Array;
  /** Headers, lower-case keys (`traceparent`, `x-request-id`, `nats-msg-id`, ...). */
  readonly headers: Readonly<Record<string, string>>;
  /** True when this is not the first delivery (an earlier one was not acknowledged). */
  readonly redelivered: boolean;
  /** How many times it has been delivered, this time included (1 = first). */
  readonly deliveryCount: number;
  /** Stream sequence number: the message's position in the stream. */
  readonly seq: number;
  /** Aborted when the consumer is stopped while the handler runs; handlers should give up then. */
  readonly signal: AbortSignal;
}

/** Processes one event; resolving acknowledges it, rejecting has it redelivered after a delay. */
export type EventHandler = (msg: EventMessage) => Promise<void>;

/** Options of {@link consumeDurable}. */
export interface ConsumeDurableOptions {
  /** JetStream client (from `nc.jetstream()`). */
  readonly js: JetStreamClient;
  /** JetStream manager (from `await nc.jetstreamManager()`), used to create or update the consumer. */
  readonly jsm: JetStreamManager;
  /** Stream name. */
  readonly stream: string;
  /** Durable consumer name; progress is kept under it across restarts. */
  readonly durable: string;
  /**
   * Subjects to receive; default the whole stream. More than one needs nats-server 2.10 or later
   * (`filter_subjects`).
   */
  readonly filterSubjects?: readonly string[];
  /**
   * Where a newly created consumer starts: `all` (the whole stream) or `new` (only what is
   * published from now on); default `all`. An existing consumer keeps its position.
   */
  readonly deliverPolicy?: "all" | "new";
  /** Redeliver a message not acknowledged within this time, milliseconds; default 30000. */
  readonly ackWaitMs?: number;
  /**
   * Deliveries of one message before it is given up (logged as an error and terminated); default
   * -1 (never: a failing message is retried until it succeeds).
   */
  readonly maxDeliver?: number;
  /**
   * Unacknowledged messages the server lets this consumer hold; default 1, which keeps strict
   * stream order even across failures (a failed message blocks the ones after it until it
   * succeeds). Raising it buys throughput, but a failed message may then be overtaken.
   */
  readonly maxAckPending?: number;
  /** Redelivery delay after the first failure, milliseconds, doubling per failure; default 250. */
  readonly retryBaseMs?: number;
  /** Largest redelivery delay, milliseconds; default 30000. */
  readonly retryMaxMs?: number;
  /** Logs failures and restarts. */
  readonly log: Logger;
  /**
   * Called each time consumption resumes after the consume loop ended or failed (consumer lost
   * and re-created, stream re-created, a fetch error), just before the first message of the new
   * loop is handled; not called for the first start. A re-created consumer may have skipped
   * messages, so informers re-list here.
   */
  readonly onRestart?: () => void;
}

/** A running durable consumer. */
export interface DurableConsumer {
  /**
   * Resolves once the consumer exists on the server and consumption has started (it waits for the
   * stream to appear). Rejects when the server refuses the consumer configuration; consumption
   * has then ended.
   */
  readonly ready: Promise<void>;
  /**
   * Stops fetching, aborts the running handler's signal and waits for it to settle. A message
   * whose handler did not succeed is released at once (`nak`), so the next consumer instance gets
   * it without waiting for `ackWaitMs`.
   */
  stop(): Promise<void>;
}

/** Pause between attempts to (re)start consumption, first and largest, milliseconds. */
const RESTART_BASE_MS = 250;
const RESTART_MAX_MS = 5_000;

/**
 * Consumes a stream through a durable pull consumer (created or updated as configured) and runs
 * `handler` for each message, in order, one at a time, inside the trace context from the
 * message's headers. Success acks; failure naks with an exponential delay (`retryBaseMs`,
 * doubling, capped at `retryMaxMs`). Keeps going across NATS disconnects, server restarts and
 * errors until stopped, re-creating the consumer if the server lost it.
 */
export function consumeDurable(options: ConsumeDurableOptions, handler: EventHandler): DurableConsumer {
  const { log, stream, durable } = options;
  const retryBaseMs = options.retryBaseMs ?? 250;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const maxAckPending = options.maxAckPending ?? 1;
  const maxDeliver = options.maxDeliver ?? -1;
  const stopping = new AbortController();
  let messages: ConsumerMessages | undefined;
  let inFlight: AbortController | undefined;
  let settleReady: ((err?: unknown) => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    settleReady = (err) => {
      settleReady = undefined;
      if (err === undefined) resolve();
      else reject(err);
    };
  });
  ready.catch(() => {}); // reported through the log; callers need not await it

  /** Acks and naks are fire-and-forget publishes; on a closed connection the server redelivers anyway. */
  const settle = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.debug({ err, durable }, "could not acknowledge; the message will be redelivered");
    }
  };

  /**
   * Messages to give back once consumption has ended. Released only after the iterator is done:
   * the iterator still sends the pull requests queued behind a message when it moves on, and a
   * message naked before such a pull (sent after unsubscribing) would be delivered into the void
   * and come back only after `ackWaitMs`.
   */
  const toRelease: JsMsg[] = [];

  const handleOne = async (m: JsMsg): Promise<void> => {
    if (stopping.signal.aborted) {
      toRelease.push(m); // buffered after stop: give it to the next instance
      return;
    }
    const hdrs = headersToRecord(m.headers);
    const ac = new AbortController();
    inFlight = ac;
    // Keep the server from redelivering while a slow handler is still working.
    const heartbeat = setInterval(() => settle(() => m.working()), Math.max(1_000, ackWaitMs / 2));
    const msg: EventMessage = {
      subject: m.subject,
      data: m.data,
      headers: hdrs,
      redelivered: m.info.redelivered,
      deliveryCount: m.info.deliveryCount,
      seq: m.seq,
      signal: ac.signal,
    };
    try {
      await runWithTrace(extractTrace(hdrs), () => handler(msg));
      settle(() => m.ack());
    } catch (err) {
      if (stopping.signal.aborted) {
        toRelease.push(m);
      } else if (maxDeliver > 0 && m.info.deliveryCount >= maxDeliver) {
        // The server would not redeliver it anyway; say so loudly and let the next one through.
        log.error(
          { err, durable, subject: m.subject, seq: m.seq, deliveryCount: m.info.deliveryCount },
          "event handler failed on the last allowed delivery; dropping the event",
        );
        settle(() => m.term());
      } else {
        const delayMs = backoffDelay(m.info.deliveryCount, retryBaseMs, retryMaxMs);
        log.warn(
          { err, durable, subject: m.subject, seq: m.seq, deliveryCount: m.info.deliveryCount, delayMs },
          "event handler failed; will retry",
        );
        settle(() => m.nak(delayMs));
      }
    } finally {
      clearInterval(heartbeat);
      inFlight = undefined;
    }
  };

  const run = async (): Promise<void> => {
    let consumedBefore = false;
    for (let attempt = 0; !stopping.signal.aborted; ) {
      try {
        await ensureDurableConsumer(options.jsm, stream, {
          durable,
          filterSubjects: options.filterSubjects ?? [],
          deliverPolicy: options.deliverPolicy ?? "all",
          ackWaitMs,
          maxDeliver,
          maxAckPending,
        });
        const consumer = await options.js.consumers.get(stream, durable);
        if (stopping.signal.aborted) break;
        // abort_on_missing_resource: if the server loses the consumer, end the iterator so that
        // this loop re-creates it instead of the client polling for it forever.
        messages = await consumer.consume({
          max_messages: Math.min(maxAckPending, 256),
          abort_on_missing_resource: true,
        });
        if (consumedBefore) {
          try {
            options.onRestart?.();
          } catch (err) {
            log.error({ err, durable }, "onRestart failed");
          }
        }
        consumedBefore = true;
        settleReady?.();
        attempt = 0;
        for await (const m of messages) await handleOne(m);
        if (!stopping.signal.aborted) log.warn({ stream, durable }, "consume loop ended; restarting");
      } catch (err) {
        if (stopping.signal.aborted) break;
        if (settleReady !== undefined && isPermanent(err)) {
          log.error({ err, stream, durable }, "cannot create consumer");
          settleReady(err);
          return;
        }
        log.warn({ err, stream, durable, attempt }, "consuming failed; retrying");
      } finally {
        messages = undefined;
        for (const m of toRelease.splice(0)) {
          settle(() => m.nak());
          log.debug({ durable, subject: m.subject, seq: m.seq }, "released message on stop");
        }
      }
      attempt++;
      await systemClock
        .sleep(backoffDelay(attempt, RESTART_BASE_MS, RESTART_MAX_MS), stopping.signal)
        .catch(() => {});
    }
    settleReady?.(new Error(`consumer ${durable} stopped before it was ready`));
  };

  const loop = run();
  return {
    ready,
    async stop() {
      stopping.abort(new Error("consumer stopped"));
      inFlight?.abort(new Error("consumer stopped"));
      messages?.stop();
      await loop;
    },
  };
}

/**
 * Errors that retrying will not fix: the server rejected the consumer configuration. A missing
 * stream is not one of them (the publisher may create it later), nor are timeouts and disconnects.
 */
function isPermanent(err: unknown): boolean {
  if (err instanceof TypeError) return true;
  const code = (err as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code;
  return code !== undefined && code !== 10059 && code !== 10014;
}
