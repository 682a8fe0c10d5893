/**
 * The runtime's informer against a real nats-server, fed by a small in-memory "apiserver" that
 * lists and publishes lifecycle events the way the real one does (one increasing resourceVersion
 * counter, events in revision order, msgId = resourceVersion).
 */
import { fromK8sJson, resourceFor, wrap } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import {
  connectNats,
  createInformer,
  createLogger,
  createMetrics,
  EVENTS_STREAM,
  ensureEventStream,
  FakeClock,
  type Informer,
  type InformerOptions,
  type LifecycleEventType,
  lifecycleEventSubject,
  lifecycleEvents,
  newLifecycleEvent,
  publishLifecycleEvent,
} from "@tokenplane/runtime";
import type { JetStreamClient, JetStreamManager, NatsConnection } from "nats";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./nats-server.js";

const info = resourceFor("", "serviceaccounts")!;
type SA = corev1.ServiceAccount;

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

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The objects of one namespace with one resourceVersion counter shared by all stores. */
let revision = 0;
class FakeApiserver {
  readonly objects = new Map<string, SA>();
  listCalls = 0;
  failLists = 0;
  constructor(
    private readonly js: () => JetStreamClient,
    readonly namespace: string,
  ) {}

  /** Commits a change; publishes its event unless `silent` (a lost event, for resync tests). */
  async change(type: LifecycleEventType, name: string, label = "", silent = false): Promise<number> {
    const rv = ++revision;
    const previous = this.objects.get(name);
    const decoded = fromK8sJson(corev1.ServiceAccountSchema, {
      metadata: {
        name,
        namespace: this.namespace,
        resourceVersion: String(rv),
        labels: { ...(previous?.metadata?.labels ?? {}), ...(label ? { v: label } : {}) },
      },
    });
    if ("error" in decoded) throw new Error(decoded.error);
    const obj = decoded.value;
    if (type === "DELETED") this.objects.delete(name);
    else this.objects.set(name, obj);
    if (!silent) await this.publish(type, obj);
    return rv;
  }

  /** Publishes (or re-publishes) an event for `obj`, retrying while NATS is away. */
  async publish(type: LifecycleEventType, obj: SA): Promise<void> {
    const event = newLifecycleEvent(type, wrap(info, obj));
    for (let i = 0; ; i++) {
      try {
        await publishLifecycleEvent(this.js(), event, { timeoutMs: 1_000 });
        return;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  readonly list = async () => {
    this.listCalls++;
    if (this.failLists > 0) {
      this.failLists--;
      throw new Error("apiserver unavailable");
    }
    return {
      items: [...this.objects.values()],
      resourceVersion: String(revision),
    };
  };

  /** name@rv of every object, sorted. */
  state(): string[] {
    return [...this.objects.values()].map(show).sort();
  }
}

const show = (o: SA) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`;

/** Records handler calls as `add a@1`, `update a@1→a@2`, `delete a@3`. */
function record(informer: Informer<SA>): string[] {
  const calls: string[] = [];
  informer.onAdd((o) => void calls.push(`add ${show(o)}`));
  informer.onUpdate((o, n) => void calls.push(`update ${show(o)}→${show(n)}`));
  informer.onDelete((o) => void calls.push(`delete ${show(o)}`));
  return calls;
}

const cacheState = (informer: Informer<SA>) => informer.list().map(show).sort();

describe("informer against a real nats-server", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const { log, lines } = capturingLogger();
  const informers: Informer<SA>[] = [];
  let n = 0;

  /** A namespace, its fake apiserver and an informer on it (not started). */
  const setup = (overrides: Partial<InformerOptions<SA>> = {}, durable?: string) => {
    n++;
    const api = new FakeApiserver(() => js, `ns${n}`);
    const make = (extra: Partial<InformerOptions<SA>> = {}) => {
      const informer = createInformer<SA>({
        info,
        namespace: api.namespace,
        list: api.list,
        events: { js, jsm, durable: durable ?? `test-ns${n}`, ackWaitMs: 1_000 },
        log,
        ...overrides,
        ...extra,
      });
      informers.push(informer);
      return informer;
    };
    return { api, make };
  };

  /** Resolves once the informer's durable has nothing pending or unacknowledged. */
  const drained = (durable: string) =>
    waitFor(`consumer ${durable} to drain`, async () => {
      const ci = await jsm.consumers.info(EVENTS_STREAM, durable);
      return ci.num_pending === 0 && ci.num_ack_pending === 0;
    });

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: "informer-test", log });
    js = nc.jetstream();
    jsm = await nc.jetstreamManager();
    await ensureEventStream(jsm);
  });
  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.stop()));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it("syncs from the list, then follows events", async () => {
    const { api, make } = setup();
    const a = await api.change("ADDED", "a");
    const b = await api.change("ADDED", "b");
    const informer = make();
    const calls = record(informer);
    expect(informer.hasSynced()).toBe(false);
    await informer.start();
    expect(informer.hasSynced()).toBe(true);
    expect(calls.sort()).toEqual([`add a@${a}`, `add b@${b}`]);
    calls.length = 0;

    const c = await api.change("ADDED", "c");
    const a2 = await api.change("MODIFIED", "a", "2");
    const bGone = await api.change("DELETED", "b");
    await waitFor("three events", () => calls.length === 3);
    expect(calls).toEqual([`add c@${c}`, `update a@${a}→a@${a2}`, `delete b@${bGone}`]);
    expect(cacheState(informer)).toEqual(api.state());
    expect(informer.get(api.namespace, "a")?.metadata?.labels).toEqual({ v: "2" });
    expect(informer.get(api.namespace, "b")).toBeUndefined();
    expect(informer.list("elsewhere")).toEqual([]);
    expect(informer.stats()).toMatchObject({
      eventsApplied: 3,
      eventsDuplicate: 0,
      eventsStale: 0,
      relists: 1,
    });
  });

  it("drops duplicate and stale events, and late events for deleted objects (tombstones)", async () => {
    const { api, make } = setup();
    await api.change("ADDED", "a");
    const informer = make();
    const calls = record(informer);
    await informer.start();
    calls.length = 0;
    const a1 = api.objects.get("a")!;
    const a2 = await api.change("MODIFIED", "a", "2");
    const x = await api.change("ADDED", "x");
    const xObj = api.objects.get("x")!;
    const xGone = await api.change("DELETED", "x");
    await waitFor("three events", () => calls.length === 3);

    // Re-published without a msgId (so the stream stores them again): an old state of a, the
    // current state of a again, and a late MODIFIED of x after its deletion.
    const raw = (type: LifecycleEventType, obj: SA) =>
      lifecycleEvents.publish(
        js,
        lifecycleEventSubject({
          group: "",
          resource: "serviceaccounts",
          namespace: api.namespace,
          name: obj.metadata!.name,
        }),
        newLifecycleEvent(type, wrap(info, obj)),
      );
    await raw("MODIFIED", a1);
    await raw("MODIFIED", api.objects.get("a")!);
    await raw("MODIFIED", xObj);
    await raw("DELETED", xObj);
    await drained(`test-ns${n}`);
    expect(calls).toEqual([
      `update a@${a1.metadata?.resourceVersion}→a@${a2}`,
      `add x@${x}`,
      `delete x@${xGone}`,
    ]);
    expect(informer.stats()).toMatchObject({ eventsApplied: 3, eventsDuplicate: 1, eventsStale: 3 });

    // Re-created after the deletion: newer than the tombstone, so it applies.
    const x2 = await api.change("ADDED", "x");
    await waitFor("re-created x", () => calls.length === 4);
    expect(calls[3]).toBe(`add x@${x2}`);
  });

  it("resyncs: re-lists, reconciles what the events missed, and updates unchanged objects", async () => {
    const clock = new FakeClock(Date.now());
    const registry = createMetrics({ service: "test", defaultMetrics: false });
    const { api, make } = setup({ resyncMs: 60_000, clock, metrics: registry });
    const a = await api.change("ADDED", "a");
    const b = await api.change("ADDED", "b");
    const c = await api.change("ADDED", "c");
    const informer = make();
    const calls = record(informer);
    await informer.start();
    calls.length = 0;

    // Changes whose events were lost.
    const d = await api.change("ADDED", "d", "", true);
    const b2 = await api.change("MODIFIED", "b", "2", true);
    await api.change("DELETED", "c", "", true);
    await clock.advance(60_000);
    await waitFor("the resync", () => informer.stats().relists === 2);
    expect(calls.sort()).toEqual(
      [`add d@${d}`, `update a@${a}→a@${a}`, `update b@${b}→b@${b2}`, `delete c@${c}`].sort(),
    );
    expect(cacheState(informer)).toEqual(api.state());
    const text = await registry.metrics();
    expect(text).toContain(
      'tokenplane_informer_relists_total{resource="serviceaccounts",reason="start",service="test"} 1',
    );
    expect(text).toContain(
      'tokenplane_informer_relists_total{resource="serviceaccounts",reason="resync",service="test"} 1',
    );
  });

  it("retries a failing list until it succeeds", async () => {
    const { api, make } = setup({ listRetryBaseMs: 10, listRetryMaxMs: 20 });
    await api.change("ADDED", "a");
    api.failLists = 3;
    const informer = make();
    await informer.start();
    expect(api.listCalls).toBe(4);
    expect(cacheState(informer)).toEqual(api.state());
    expect(lines.filter((l) => l.msg === "listing failed; retrying").length).toBeGreaterThanOrEqual(3);
  });

  it("keeps handler failures to the log", async () => {
    const { api, make } = setup();
    const informer = make();
    const seen: string[] = [];
    informer.onAdd((o) => {
      seen.push(show(o));
      throw new Error("handler broke");
    });
    expect(() => informer.onAdd(() => {})).not.toThrow();
    await informer.start();
    expect(() => informer.onDelete(() => {})).toThrow(TypeError);
    const a = await api.change("ADDED", "a");
    const b = await api.change("ADDED", "b");
    await waitFor("two adds", () => seen.length === 2);
    expect(seen).toEqual([`a@${a}`, `b@${b}`]);
    expect(informer.stats().handlerErrors).toBe(2);
    expect(cacheState(informer)).toEqual(api.state());
  });

  it("stopped and started again with its durable: converges, nothing missed, nothing applied twice", async () => {
    const { api, make } = setup();
    const a = await api.change("ADDED", "a");
    const b = await api.change("ADDED", "b");
    const c = await api.change("ADDED", "c");
    const informer = make();
    const calls = record(informer);
    await informer.start();
    await informer.stop();
    calls.length = 0;

    const d = await api.change("ADDED", "d");
    const a2 = await api.change("MODIFIED", "a", "2");
    const bGone = await api.change("DELETED", "b");
    const e = await api.change("ADDED", "e");
    const eGone = await api.change("DELETED", "e");
    await informer.start();
    await drained(`test-ns${n}`);
    // The list brings d, a and the loss of b (tombstoned at the list's rv); the durable's events
    // for them are then duplicates or stale. e came and went while stopped: only its deletion
    // (its last state) is news to the handlers.
    expect(calls.sort()).toEqual(
      [`add d@${d}`, `update a@${a}→a@${a2}`, `delete b@${b}`, `delete e@${eGone}`].sort(),
    );
    expect(cacheState(informer)).toEqual(api.state());
    expect(informer.get(api.namespace, "c")?.metadata?.resourceVersion).toBe(String(c));
    expect(bGone).toBeGreaterThan(b);
    expect(e).toBeLessThan(eGone);
  });

  it("a new instance on the same durable gets the deletions that happened while it was away", async () => {
    const durable = `test-restart-${n + 1}`;
    const { api, make } = setup({}, durable);
    await api.change("ADDED", "a");
    const b = await api.change("ADDED", "b");
    const first = make();
    await first.start();
    await first.stop();

    const c = await api.change("ADDED", "c");
    const bGone = await api.change("DELETED", "b");
    const second = make();
    const calls = record(second);
    await second.start();
    await drained(durable);
    const a = api.objects.get("a")!.metadata!.resourceVersion;
    expect(calls.sort()).toEqual([`add a@${a}`, `add c@${c}`, `delete b@${bGone}`].sort());
    expect(cacheState(second)).toEqual(api.state());
    expect(b).toBeLessThan(bGone);
  });

  it("re-lists when its consumer was lost and re-created, so the gap is closed", async () => {
    const { api, make } = setup();
    const a = await api.change("ADDED", "a");
    const informer = make();
    const calls = record(informer);
    await informer.start();
    calls.length = 0;
    await jsm.consumers.delete(EVENTS_STREAM, `test-ns${n}`);
    // Committed while no consumer exists: their events reach nobody.
    const b = await api.change("ADDED", "b");
    const a2 = await api.change("MODIFIED", "a", "2");
    await waitFor("the re-list", () => informer.stats().relists === 2, 30_000);
    await waitFor("convergence", () => cacheState(informer).join() === api.state().join());
    expect(calls.sort()).toEqual([`add b@${b}`, `update a@${a}→a@${a2}`].sort());
    const c = await api.change("ADDED", "c");
    await waitFor("events again", () => calls.length === 3);
    expect(calls[2]).toBe(`add c@${c}`);
  });

  it("converges across a nats-server crash while running", async () => {
    const { api, make } = setup();
    const a = await api.change("ADDED", "a");
    const informer = make();
    const calls = record(informer);
    await informer.start();
    calls.length = 0;
    const b = await api.change("ADDED", "b");
    const a2 = await api.change("MODIFIED", "a", "2");
    await waitFor("two events", () => calls.length === 2);

    await server.restart({ signal: "SIGKILL" });
    const c = await api.change("ADDED", "c");
    const bGone = await api.change("DELETED", "b");
    await waitFor("convergence", () => cacheState(informer).join() === api.state().join(), 30_000);
    await drained(`test-ns${n}`);
    expect(calls).toEqual([`add b@${b}`, `update a@${a}→a@${a2}`, `add c@${c}`, `delete b@${bGone}`]);
  });
});
