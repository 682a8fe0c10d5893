/**
 * The runtime's typed lifecycle events against a real nats-server: the stream, the subject of an
 * object, de-duplication by resourceVersion, trace headers, and typed consumption by filter.
 */
import { fromK8sJson, resourceFor, wrap } from "@tokenplane/apimachinery";
import { corev1, tokenplanev1 } from "@tokenplane/proto";
import {
  connectNats,
  createLogger,
  type DurableConsumer,
  EVENTS_STREAM,
  ensureEventStream,
  lifecycleEvents,
  namespaceEventsFilter,
  newLifecycleEvent,
  newTrace,
  publishLifecycleEvent,
  resourceEventsFilter,
  runWithTrace,
  type TypedEventMessage,
} from "@tokenplane/runtime";
import { type JetStreamClient, type JetStreamManager, type NatsConnection, nanos, StorageType } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./nats-server.js";

const log = createLogger({ service: "test", level: "silent", pretty: false });

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sa = (namespace: string, name: string, rv: number) => {
  const decoded = fromK8sJson(corev1.ServiceAccountSchema, {
    metadata: { name, namespace, resourceVersion: String(rv) },
  });
  if ("error" in decoded) throw new Error(decoded.error);
  return wrap(resourceFor("", "serviceaccounts")!, decoded.value);
};

describe("lifecycle events on a real nats-server", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const consumers: DurableConsumer[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: "lifecycle-test", log });
    js = nc.jetstream();
    jsm = await nc.jetstreamManager();
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await nc?.close();
    await server?.stop();
  });

  it("creates TOKENPLANE_EVENTS with file storage, 24 h max age and a 2 min duplicate window", async () => {
    const info = await ensureEventStream(jsm);
    expect(info.config).toMatchObject({
      name: EVENTS_STREAM,
      subjects: ["tokenplane.events.>"],
      storage: StorageType.File,
      max_age: nanos(24 * 3600 * 1000),
      duplicate_window: nanos(120_000),
    });
    expect((await ensureEventStream(jsm)).config.name).toBe(EVENTS_STREAM);
  });

  it("publishes on the object's subject, stores a retried publish once, carries the trace", async () => {
    await ensureEventStream(jsm);
    const event = newLifecycleEvent("ADDED", sa("pub", "my.robot", 11));
    const trace = newTrace("req-pub");
    const first = await runWithTrace(trace, () => publishLifecycleEvent(js, event));
    const retry = await publishLifecycleEvent(js, event);
    expect([first.duplicate, retry.duplicate, retry.seq]).toEqual([false, true, first.seq]);
    const stored = await jsm.streams.getMessage(EVENTS_STREAM, { seq: first.seq });
    expect(stored.subject).toBe("tokenplane.events.core.serviceaccounts.pub.my%2Erobot");
    expect(stored.header.get("Nats-Msg-Id")).toBe("11");
    expect(stored.header.get("x-request-id")).toBe("req-pub");
    expect(stored.header.get("traceparent")).toMatch(new RegExp(`^00-${trace.traceId}-`));
  });

  it("consumes typed events of one namespace through a filter", async () => {
    await ensureEventStream(jsm);
    const info = { group: "", resource: "serviceaccounts" };
    const got: Array<[string, string, bigint]> = [];
    const c = lifecycleEvents.consume(
      {
        js,
        jsm,
        log,
        stream: EVENTS_STREAM,
        durable: "typed-ns-a",
        filterSubjects: [namespaceEventsFilter(info, "ns-a")],
      },
      async (m: TypedEventMessage<tokenplanev1.LifecycleEvent>) => {
        got.push([tokenplanev1.EventType[m.value.type], m.value.name, m.value.resourceVersion]);
      },
    );
    consumers.push(c);
    await c.ready;
    await publishLifecycleEvent(js, newLifecycleEvent("ADDED", sa("ns-a", "one", 21)));
    await publishLifecycleEvent(js, newLifecycleEvent("ADDED", sa("ns-b", "other", 22)));
    await publishLifecycleEvent(js, newLifecycleEvent("DELETED", sa("ns-a", "one", 23)));
    await waitFor("two events", () => got.length === 2);
    expect(got).toEqual([
      ["ADDED", "one", 21n],
      ["DELETED", "one", 23n],
    ]);
    expect(resourceEventsFilter(info)).toBe("tokenplane.events.core.serviceaccounts.>");
  });
});
