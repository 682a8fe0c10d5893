/**
 * The runtime's NATS events against a real nats-server from this package's harness. (They live
 * here rather than beside the runtime's code because the runtime cannot depend on the harness:
 * the harness depends on the runtime.)
 */
import {
  type ConsumeDurableOptions,
  connectNats,
  consumeDurable,
  createLogger,
  currentTrace,
  type DurableConsumer,
  type EventMessage,
  ensureDurableConsumer,
  ensureStream,
  jsonCodec,
  newTrace,
  publish,
  runWithTrace,
  type TraceContext,
  typedSubject,
} from "@tokenplane/runtime";
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  nanos,
  StorageType,
} from "nats";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./nats-server.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const text = (s: string) => enc.encode(s);

/** Log lines of a test, parsed. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    service: "test",
    level: "debug",
    pretty: false,
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { log, lines };
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Received {
  subject: string;
  data: string;
  redelivered: boolean;
  deliveryCount: number;
  seq: number;
}
const summary = (m: EventMessage): Received => ({
  subject: m.subject,
  data: dec.decode(m.data),
  redelivered: m.redelivered,
  deliveryCount: m.deliveryCount,
  seq: m.seq,
});

describe("NATS events against a real nats-server", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const { log, lines } = capturingLogger();
  const consumers: DurableConsumer[] = [];
  let n = 0;
  /** A fresh stream per test: `S<n>` on `ev<n>.>`. */
  const freshStream = async (extra: { maxAgeMs?: number } = {}) => {
    n++;
    await ensureStream(jsm, { name: `S${n}`, subjects: [`ev${n}.>`], ...extra });
    return { stream: `S${n}`, subject: (s: string) => `ev${n}.${s}` };
  };
  const consume = (
    opts: Omit<ConsumeDurableOptions, "js" | "jsm" | "log">,
    handler: (m: EventMessage) => Promise<void>,
  ) => {
    const c = consumeDurable({ js, jsm, log, ...opts }, handler);
    consumers.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: "events-test", log });
    js = nc.jetstream();
    jsm = await nc.jetstreamManager();
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it("ensureStream creates a file stream and updates it idempotently", async () => {
    const first = await ensureStream(jsm, { name: "IDEM", subjects: ["idem.>"] });
    expect(first.config).toMatchObject({
      name: "IDEM",
      subjects: ["idem.>"],
      storage: StorageType.File,
      duplicate_window: nanos(120_000),
      max_age: 0,
    });
    const again = await ensureStream(jsm, { name: "IDEM", subjects: ["idem.>"] });
    expect(again.config.subjects).toEqual(["idem.>"]);
    const changed = await ensureStream(jsm, {
      name: "IDEM",
      subjects: ["idem.>", "other.>"],
      maxAgeMs: 3_600_000,
      duplicateWindowMs: 60_000,
    });
    expect(changed.config).toMatchObject({
      subjects: ["idem.>", "other.>"],
      max_age: nanos(3_600_000),
      duplicate_window: nanos(60_000),
    });
    expect((await jsm.streams.names().next()).filter((s) => s === "IDEM")).toHaveLength(1);
  });

  it("delivers published messages to a durable consumer, in order, once each", async () => {
    const { stream, subject } = await freshStream();
    for (const name of ["a", "b", "c"]) {
      const ack = await publish(js, subject(`sa.default.${name}`), text(name));
      expect(ack.duplicate).toBe(false);
    }
    const got: Received[] = [];
    const c = consume({ stream, durable: "d1" }, async (m) => void got.push(summary(m)));
    await c.ready;
    await waitFor("3 messages", () => got.length === 3);
    expect(got).toEqual([
      { subject: subject("sa.default.a"), data: "a", redelivered: false, deliveryCount: 1, seq: 1 },
      { subject: subject("sa.default.b"), data: "b", redelivered: false, deliveryCount: 1, seq: 2 },
      { subject: subject("sa.default.c"), data: "c", redelivered: false, deliveryCount: 1, seq: 3 },
    ]);
    const info = await jsm.consumers.info(stream, "d1");
    await waitFor("acks", () => info.num_ack_pending === 0);
    expect(info.config.max_ack_pending).toBe(1);
  });

  it("redelivers at once a message whose handler was interrupted by stop()", async () => {
    const { stream, subject } = await freshStream();
    await publish(js, subject("x"), text("payload"));
    let started = false;
    const first = consume({ stream, durable: "d2" }, async (m) => {
      started = true;
      // Block until the consumer is stopped.
      await new Promise<void>((_resolve, reject) =>
        m.signal.addEventListener("abort", () => reject(m.signal.reason)),
      );
    });
    await waitFor("handler to start", () => started);
    await first.stop();

    const t0 = Date.now();
    const got: Received[] = [];
    consume({ stream, durable: "d2" }, async (m) => void got.push(summary(m)));
    await waitFor("redelivery", () => got.length === 1);
    // Released with a nak on stop: no wait for the 30 s ack wait.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(got).toEqual([
      { subject: subject("x"), data: "payload", redelivered: true, deliveryCount: 2, seq: 1 },
    ]);
  });

  it("redelivers after the ack wait when a consumer vanishes without a word", async () => {
    const { stream, subject } = await freshStream();
    await publish(js, subject("x"), text("lost"));
    const other = await connectNats({ servers: server.url, name: "doomed", log });
    let started = false;
    consumeDurable(
      {
        js: other.jetstream(),
        jsm: await other.jetstreamManager(),
        log,
        stream,
        durable: "d3",
        ackWaitMs: 1_000,
      },
      async () => {
        started = true;
        await new Promise(() => {}); // never finishes
      },
    );
    await waitFor("handler to start", () => started);
    await other.close(); // the process "dies": no ack, no nak

    const got: Received[] = [];
    consume({ stream, durable: "d3", ackWaitMs: 1_000 }, async (m) => void got.push(summary(m)));
    await waitFor("redelivery after ack wait", () => got.length === 1);
    expect(got[0]).toMatchObject({ data: "lost", redelivered: true, deliveryCount: 2 });
  });

  it("stores a repeated msgId once within the duplicate window", async () => {
    const { stream, subject } = await freshStream();
    const a = await publish(js, subject("sa"), text("v1"), { msgId: "rv-100" });
    const b = await publish(js, subject("sa"), text("v1 again"), { msgId: "rv-100" });
    const c = await publish(js, subject("sa"), text("v2"), { msgId: "rv-101" });
    expect([a.duplicate, b.duplicate, c.duplicate]).toEqual([false, true, false]);
    expect(b.seq).toBe(a.seq);
    expect((await jsm.streams.info(stream)).state.messages).toBe(2);
    const got: Received[] = [];
    consume({ stream, durable: "d4" }, async (m) => void got.push(summary(m)));
    await waitFor("2 messages", () => got.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(got.map((g) => g.data)).toEqual(["v1", "v2"]);
  });

  it("carries the trace: the handler runs in the publisher's trace", async () => {
    const { stream, subject } = await freshStream();
    const trace = newTrace("req-trace-1");
    await runWithTrace(trace, () => publish(js, subject("t"), text("traced")));
    await publish(js, subject("t"), text("untraced"));
    const seen: Array<{ ctx: TraceContext | undefined; headers: Readonly<Record<string, string>> }> = [];
    consume({ stream, durable: "d5" }, async (m) => {
      log.info({ data: dec.decode(m.data) }, "handling");
      seen.push({ ctx: currentTrace(), headers: m.headers });
    });
    await waitFor("2 messages", () => seen.length === 2);
    const [traced, untraced] = seen;
    expect(traced?.headers.traceparent).toBe(`00-${trace.traceId}-${trace.spanId}-01`);
    expect(traced?.headers["x-request-id"]).toBe("req-trace-1");
    expect(traced?.ctx?.traceId).toBe(trace.traceId);
    expect(traced?.ctx?.requestId).toBe("req-trace-1");
    expect(traced?.ctx?.spanId).not.toBe(trace.spanId);
    // A message without trace headers still gets a trace of its own.
    expect(untraced?.ctx?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(untraced?.ctx?.traceId).not.toBe(trace.traceId);
    const line = lines.find((l) => l.msg === "handling" && l.data === "traced");
    expect(line).toMatchObject({ trace_id: trace.traceId, request_id: "req-trace-1" });
  });

  it("retries a failed message with back-off before the ones after it", async () => {
    const { stream, subject } = await freshStream();
    for (const s of ["1", "2", "3"]) await publish(js, subject(s), text(s));
    const got: Array<Received & { at: number }> = [];
    let failures = 0;
    consume({ stream, durable: "d6", retryBaseMs: 300 }, async (m) => {
      got.push({ ...summary(m), at: Date.now() });
      if (dec.decode(m.data) === "1" && failures < 2) {
        failures++;
        throw new Error("apiserver unavailable");
      }
    });
    await waitFor("all messages", () => got.length === 5);
    expect(got.map((g) => [g.data, g.deliveryCount])).toEqual([
      ["1", 1],
      ["1", 2],
      ["1", 3],
      ["2", 1],
      ["3", 1],
    ]);
    const [d1, d2, d3] = got.map((g) => g.at) as [number, number, number];
    // 300 ms then 600 ms (exponential), allowing for timer slack.
    expect(d2 - d1).toBeGreaterThanOrEqual(250);
    expect(d3 - d2).toBeGreaterThanOrEqual(550);
    const warn = lines.find((l) => l.msg === "event handler failed; will retry" && l.durable === "d6");
    expect(warn).toMatchObject({
      subject: subject("1"),
      seq: 1,
      deliveryCount: 1,
      delayMs: 300,
      err: { message: "apiserver unavailable" },
    });
  });

  it("gives up on a message after maxDeliver failed deliveries and moves on", async () => {
    const { stream, subject } = await freshStream();
    await publish(js, subject("poison"), text("poison"));
    await publish(js, subject("fine"), text("fine"));
    const got: Array<[string, number]> = [];
    consume({ stream, durable: "d7", maxDeliver: 2, retryBaseMs: 50 }, async (m) => {
      got.push([dec.decode(m.data), m.deliveryCount]);
      if (dec.decode(m.data) === "poison") throw new Error("cannot handle");
    });
    await waitFor("the next message", () => got.some(([d]) => d === "fine"));
    expect(got).toEqual([
      ["poison", 1],
      ["poison", 2],
      ["fine", 1],
    ]);
    expect(lines.find((l) => l.durable === "d7" && l.level === 50)).toMatchObject({
      msg: "event handler failed on the last allowed delivery; dropping the event",
      seq: 1,
      deliveryCount: 2,
    });
  });

  it("filters on one subject and starts new consumers at 'new' when asked", async () => {
    const { stream, subject } = await freshStream();
    await publish(js, subject("pods.a"), text("old pod"));
    await publish(js, subject("sa.a"), text("old sa"));
    const pods: string[] = [];
    const fresh: string[] = [];
    const c1 = consume({ stream, durable: "pods", filterSubjects: [subject("pods.>")] }, async (m) => {
      pods.push(dec.decode(m.data));
    });
    const c2 = consume({ stream, durable: "fresh", deliverPolicy: "new" }, async (m) => {
      fresh.push(dec.decode(m.data));
    });
    await Promise.all([c1.ready, c2.ready]);
    await publish(js, subject("pods.b"), text("new pod"));
    await publish(js, subject("sa.b"), text("new sa"));
    await waitFor("deliveries", () => pods.length === 2 && fresh.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(pods).toEqual(["old pod", "new pod"]);
    expect(fresh).toEqual(["new pod", "new sa"]);
  });

  it("filters on several subjects only where the server can", async () => {
    const { stream, subject } = await freshStream();
    const version = nc.info?.version ?? "0.0.0";
    const [major = 0, minor = 0] = version.split(".").map(Number);
    const c = consume(
      { stream, durable: "multi", filterSubjects: [subject("a"), subject("b")] },
      async () => {},
    );
    if (major > 2 || (major === 2 && minor >= 10)) {
      await expect(c.ready).resolves.toBeUndefined();
    } else {
      await expect(c.ready).rejects.toThrow(
        "consumer multi: filtering on several subjects needs nats-server 2.10 or later; use one subject with wildcards",
      );
      await expect(jsm.consumers.info(stream, "multi")).rejects.toThrow("consumer not found");
    }
  });

  it("ensureDurableConsumer creates, updates changed settings, and refuses to drop a filter", async () => {
    const { stream, subject } = await freshStream();
    const spec = {
      durable: "cfg",
      filterSubjects: [subject("a")],
      deliverPolicy: "new" as const,
      ackWaitMs: 30_000,
      maxDeliver: -1,
      maxAckPending: 1,
    };
    const created = await ensureDurableConsumer(jsm, stream, spec);
    expect(created.config).toMatchObject({
      durable_name: "cfg",
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: subject("a"),
      ack_wait: nanos(30_000),
      max_deliver: -1,
      max_ack_pending: 1,
    });
    const same = await ensureDurableConsumer(jsm, stream, spec);
    expect(same.created).toBe(created.created);
    const changed = await ensureDurableConsumer(jsm, stream, {
      ...spec,
      filterSubjects: [subject("b")],
      deliverPolicy: "all",
      ackWaitMs: 5_000,
      maxDeliver: 10,
      maxAckPending: 8,
    });
    expect(changed.config).toMatchObject({
      deliver_policy: DeliverPolicy.New, // the start position of an existing consumer stays
      filter_subject: subject("b"),
      ack_wait: nanos(5_000),
      max_deliver: 10,
      max_ack_pending: 8,
    });
    await expect(ensureDurableConsumer(jsm, stream, { ...spec, filterSubjects: [] })).rejects.toThrow(
      new TypeError(`consumer cfg filters on ${subject("b")}; delete it to consume the whole stream`),
    );
  });

  it("waits for a stream that does not exist yet", async () => {
    n++;
    const stream = `S${n}`;
    const got: string[] = [];
    const c = consume({ stream, durable: "early" }, async (m) => void got.push(dec.decode(m.data)));
    let ready = false;
    void c.ready.then(() => {
      ready = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(ready).toBe(false);
    await ensureStream(jsm, { name: stream, subjects: [`late${n}.>`] });
    await c.ready;
    await publish(js, `late${n}.x`, text("finally"));
    await waitFor("delivery", () => got.length === 1);
    expect(got).toEqual(["finally"]);
  });

  it("typedSubject decodes payloads and skips ones that do not decode", async () => {
    const { stream, subject } = await freshStream();
    const events = typedSubject(jsonCodec<{ type: string; name: string }>());
    await publish(js, subject("raw"), text("not json"));
    await events.publish(js, subject("sa"), { type: "ADDED", name: "default" });
    const got: Array<{ type: string; name: string }> = [];
    const c = events.consume({ js, jsm, log, stream, durable: "typed" }, async (m) => void got.push(m.value));
    consumers.push(c);
    await waitFor("typed delivery", () => got.length === 1);
    expect(got).toEqual([{ type: "ADDED", name: "default" }]);
    expect(lines.find((l) => l.msg === "cannot decode event; skipping it")).toMatchObject({
      durable: "typed",
      seq: 1,
    });
  });

  it("stops promptly when idle", async () => {
    const { stream } = await freshStream();
    const c = consumeDurable({ js, jsm, log, stream, durable: "idle" }, async () => {});
    await c.ready;
    const t0 = Date.now();
    await c.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

/** Distinct values in order of first appearance (at-least-once delivery may repeat some). */
const firstSeen = (xs: readonly string[]) => [...new Set(xs)];

describe("NATS events across a nats-server restart", () => {
  /**
   * A consumer that runs throughout, and one that is stopped during the outage; messages published
   * before and after the restart. Returns what each consumer received.
   */
  async function scenario(signal: NodeJS.Signals) {
    const server = await startNatsServer();
    const { log, lines } = capturingLogger();
    const nc = await connectNats({ servers: server.url, name: "restart-test", log });
    const consumers: DurableConsumer[] = [];
    try {
      const js = nc.jetstream();
      const jsm = await nc.jetstreamManager();
      await ensureStream(jsm, { name: "EVENTS", subjects: ["events.>"] });
      // A short ack wait: after a crash the server may have lost the latest acks and waits this
      // long before redelivering (at-least-once).
      const common = { js, jsm, log, stream: "EVENTS", ackWaitMs: 1_000 };

      const live: string[] = [];
      const a = consumeDurable(
        { ...common, durable: "live" },
        async (m) => void live.push(dec.decode(m.data)),
      );
      consumers.push(a);
      await a.ready;

      const later: string[] = [];
      await publish(js, "events.x", text("before-1"));
      const b1 = consumeDurable(
        { ...common, durable: "later" },
        async (m) => void later.push(dec.decode(m.data)),
      );
      await waitFor("later to get before-1", () => later.length === 1);
      await b1.stop();
      await publish(js, "events.x", text("before-2"));
      await publish(js, "events.x", text("before-3"));
      await waitFor("live to get 3", () => live.length === 3);

      await server.restart({ signal });

      // Publishing fails until the client has reconnected and JetStream has recovered; callers
      // retry, as the outbox does (with the same msgId, so a retry is stored once).
      for (let i = 0; ; i++) {
        try {
          await publish(js, "events.x", text("after-1"), { msgId: "after-1", timeoutMs: 1_000 });
          break;
        } catch (err) {
          if (i > 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await waitFor("live to get after-1", () => live.includes("after-1"), 20_000);

      const b2 = consumeDurable(
        { ...common, durable: "later" },
        async (m) => void later.push(dec.decode(m.data)),
      );
      consumers.push(b2);
      await waitFor("later to catch up", () => later.includes("after-1"), 20_000);
      const stored = (await jsm.streams.info("EVENTS")).state.messages;
      const disconnected = lines.some((l) => l.msg === "disconnected from NATS; reconnecting");
      const reconnected = lines.some((l) => l.msg === "reconnected to NATS");
      return { live, later, stored, disconnected, reconnected };
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
      await nc.close();
      await server.stop();
    }
  }

  const all = ["before-1", "before-2", "before-3", "after-1"];

  it("after a clean restart: nothing lost, nothing repeated, consumers keep going", async () => {
    const r = await scenario("SIGTERM");
    expect(r.stored).toBe(4);
    expect(r.live).toEqual(all);
    expect(r.later).toEqual(all);
    expect([r.disconnected, r.reconnected]).toEqual([true, true]);
  });

  it("after a crash: nothing lost, in order, possibly repeated (at-least-once)", async () => {
    const r = await scenario("SIGKILL");
    expect(r.stored).toBe(4);
    expect(firstSeen(r.live)).toEqual(all);
    expect(firstSeen(r.later)).toEqual(all);
    expect([r.disconnected, r.reconnected]).toEqual([true, true]);
  });
});
