/**
 * Reads the apiserver's lifecycle events off NATS the way an outside consumer would: an ordered
 * JetStream consumer of `TOKENPLANE_EVENTS` from its first message, on a connection that
 * reconnects forever, so it keeps reading across nats-server restarts. Every message is decoded
 * with the runtime's protobuf codec and kept in arrival order (duplicates included: the publisher
 * is at-least-once and consumers de-duplicate by resource_version).
 */
import { metadataOf, type StoredObject, unwrap } from "@tokenplane/apimachinery";
import { tokenplanev1 } from "@tokenplane/proto";
import { EVENTS_STREAM, lifecycleEventCodec } from "@tokenplane/runtime";
import { type ConsumerMessages, connect, type NatsConnection } from "nats";

/** One event as received. */
export interface ReceivedEvent {
  /** Stream sequence of the message. */
  readonly seq: number;
  readonly subject: string;
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "UNSPECIFIED";
  readonly group: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: bigint;
  /** `metadata.resourceVersion` of the object the event carries. */
  readonly objectResourceVersion: string;
  /** The carried object (a protobuf message of the resource's kind). */
  readonly object: StoredObject | undefined;
}

/** A running collector. */
export interface EventCollector {
  /** Everything received so far, in arrival order. */
  readonly events: readonly ReceivedEvent[];
  /** Stops reading and closes the connection. */
  close(): Promise<void>;
}

const typeNames: Record<number, ReceivedEvent["type"]> = {
  [tokenplanev1.EventType.ADDED]: "ADDED",
  [tokenplanev1.EventType.MODIFIED]: "MODIFIED",
  [tokenplanev1.EventType.DELETED]: "DELETED",
};

/**
 * Connects to `natsUrl`, waits (up to `timeoutMs`) until the event stream exists, and reads it
 * from the start until closed.
 */
export async function collectEvents(natsUrl: string, timeoutMs = 20_000): Promise<EventCollector> {
  const nc: NatsConnection = await connect({
    servers: natsUrl,
    name: "e2e-event-collector",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
  const jsm = await nc.jetstreamManager();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await jsm.streams.info(EVENTS_STREAM);
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`stream ${EVENTS_STREAM} never appeared: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM);
  const messages: ConsumerMessages = await consumer.consume();
  const events: ReceivedEvent[] = [];
  const reading = (async () => {
    for await (const m of messages) {
      const e = lifecycleEventCodec.decode(m.data);
      const object = e.object ? unwrap(e.object).object : undefined;
      events.push({
        seq: m.seq,
        subject: m.subject,
        type: typeNames[e.type] ?? "UNSPECIFIED",
        group: e.group,
        resource: e.resource,
        namespace: e.namespace,
        name: e.name,
        resourceVersion: e.resourceVersion,
        objectResourceVersion: object ? (metadataOf(object).resourceVersion ?? "") : "",
        object,
      });
    }
  })();
  return {
    events,
    async close() {
      messages.stop();
      await reading.catch(() => {});
      await nc.close();
    },
  };
}
