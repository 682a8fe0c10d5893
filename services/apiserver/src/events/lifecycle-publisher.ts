/**
 * Turns committed storage changes into lifecycle events on NATS: the outbox (outbox/outbox.ts)
 * calls `publish` for every change in revision order and retries it until NATS acknowledges, so a
 * NATS outage or an apiserver crash between commit and publish loses no event (DESIGN.md
 * "Events"; consumers de-duplicate by resourceVersion). The outbox calls it inside the trace the
 * change's writer recorded, so the message's `traceparent` header continues the request that made
 * the change (`publishLifecycleEvent` takes it from the current trace).
 */
import { wrap } from "@tokenplane/apimachinery";
import { newLifecycleEvent, publishLifecycleEvent } from "@tokenplane/runtime";
import type { JetStreamClient } from "nats";
import { decodeObject } from "../registry/codec.js";
import { parseObjectKey } from "../registry/keys.js";
import type { StorageEvent } from "../storage/storage.js";

/** Builds the outbox's `publish` function for a JetStream client. */
export function lifecyclePublisher(js: JetStreamClient): (event: StorageEvent) => Promise<void> {
  return async (event) => {
    const parsed = parseObjectKey(event.kv.key);
    // Keys outside the object registry (none today) carry no lifecycle event.
    if (!parsed) return;
    const type = event.type === "delete" ? "DELETED" : event.prevKv ? "MODIFIED" : "ADDED";
    // A DELETED event carries the last state, at the revision of the deletion (what watchers see).
    const object = decodeObject(parsed.info, { ...event.kv, modRevision: event.revision });
    await publishLifecycleEvent(js, newLifecycleEvent(type, wrap(parsed.info, object)));
  };
}
