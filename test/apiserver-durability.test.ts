/**
 * Durability of the real apiserver process (DESIGN.md "Storage", "Events", "resourceVersion"),
 * with the file store (the default backend) and a private nats-server:
 * - a graceful restart (SIGTERM, start again) keeps every object byte for byte, tokens minted
 *   before it still authenticate, and the next write's resourceVersion is greater than every
 *   earlier one;
 * - a crash (SIGKILL) while writers are busy loses nothing that was acknowledged;
 * - the watch history survives both: a watch resuming from a resourceVersion before the restart
 *   gets the same events;
 * - NATS crashing (SIGKILL) while objects change does not stop writes — the store is the source
 *   of truth and the outbox retries —, an apiserver started while NATS is down serves and
 *   publishes later, and once NATS is back every acknowledged change of this
 *   file (including those around the apiserver's own crash) arrives as a lifecycle event with its
 *   resourceVersion, in order per object, within a bounded time.
 *
 * Events are read from the start of the stream by an outside consumer (test/support/
 * event-collector.ts) that stays connected across the NATS restarts; it de-duplicates by
 * resource_version, as consumers must (the publisher is at-least-once).
 */
import { startTestStack, type TestStack } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, eventually, type Json } from "./support/api-client.js";
import { collectEvents, type EventCollector } from "./support/event-collector.js";

let stack: TestStack;
let api: ApiClient;
let collector: EventCollector;

type EventType = "ADDED" | "MODIFIED" | "DELETED";
interface Acked {
  /** `<resource>/<namespace>/<name>`. */
  readonly key: string;
  readonly type: EventType;
  /**
   * The resourceVersion in the answer; undefined for an immediate deletion, which Kubernetes
   * answers with a success Status that carries none (ConfigMaps do not return the deleted object).
   */
  readonly resourceVersion: bigint | undefined;
  readonly at: number;
}
/** Every write of this file the apiserver acknowledged, in acknowledgement order. */
const acked: Acked[] = [];

const NS = "durable";
const CORE = "/api/v1";
const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const RBAC_RESOURCES = new Set(["roles", "rolebindings", "clusterroles", "clusterrolebindings"]);

/** Where a resource lives: its collection path in a namespace ("" = cluster-scoped). */
function collection(resource: string, namespace: string): string {
  const base = RBAC_RESOURCES.has(resource) ? RBAC : CORE;
  return namespace === "" ? `${base}/${resource}` : `${base}/namespaces/${namespace}/${resource}`;
}

/** One write; records it when acknowledged (2xx), throws otherwise. */
async function write(
  type: EventType,
  resource: string,
  namespace: string,
  name: string,
  body?: unknown,
): Promise<Json> {
  const base = collection(resource, namespace);
  const r =
    type === "ADDED"
      ? await api.post(base, body)
      : type === "MODIFIED"
        ? await api.mergePatch(`${base}/${name}`, body)
        : await api.delete(`${base}/${name}`);
  if (r.status < 200 || r.status > 299) throw new Error(`${type} ${resource} ${name}: ${r.status} ${r.body}`);
  const object = r.json();
  const rv = object.kind === "Status" ? undefined : BigInt(object.metadata.resourceVersion);
  // A deletion held by finalizers only sets deletionTimestamp: watchers see MODIFIED.
  const seen = type === "DELETED" && object.metadata?.deletionTimestamp ? "MODIFIED" : type;
  acked.push({ key: `${resource}/${namespace}/${name}`, type: seen, resourceVersion: rv, at: Date.now() });
  return object;
}

/** A Kubernetes object body: a name and anything else. */
interface Body {
  metadata: { name: string; [field: string]: unknown };
  [field: string]: unknown;
}

const create = (resource: string, namespace: string, body: Body) =>
  write("ADDED", resource, namespace, body.metadata.name, body);

/** Every object of the resources this file touches, as the API lists them, and the list revision. */
async function snapshot(): Promise<{ items: Record<string, unknown>; revision: bigint }> {
  const items: Record<string, unknown> = {};
  let revision = 0n;
  for (const resource of [
    "namespaces",
    "serviceaccounts",
    "secrets",
    "configmaps",
    "pods",
    "nodes",
    "roles",
    "rolebindings",
    "clusterroles",
    "clusterrolebindings",
  ]) {
    const r = await api.get(collection(resource, ""));
    expect(r.status).toBe(200);
    const list = r.json();
    const rv = BigInt(list.metadata.resourceVersion);
    if (rv > revision) revision = rv;
    for (const item of list.items) {
      items[`${resource}/${item.metadata.namespace ?? ""}/${item.metadata.name}`] = item;
    }
  }
  return { items, revision };
}

function maxResourceVersion(items: Record<string, unknown>): bigint {
  let max = 0n;
  for (const item of Object.values(items)) {
    const rv = BigInt((item as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    if (rv > max) max = rv;
  }
  return max;
}

beforeAll(async () => {
  stack = await startTestStack({
    services: ["apiserver"],
    extraArgs: { apiserver: ["--admission-address=", "--storage-backend=file"] },
  });
  api = apiClient(stack);
  collector = await collectEvents(stack.nats.url);
}, 120_000);

afterAll(async () => {
  await collector?.close();
  await stack?.close();
});

describe("durability of the apiserver's store", () => {
  it("a restart keeps every object as it was, tokens still authenticate, resourceVersions continue", async () => {
    const startRevision = (await api.get(collection("namespaces", ""))).json().metadata.resourceVersion;
    await create("namespaces", "", { metadata: { name: NS } });
    await create("namespaces", "", { metadata: { name: `${NS}-2`, labels: { tier: "two" } } });
    await create("serviceaccounts", NS, {
      metadata: { name: "builder", labels: { app: "ci" }, annotations: { note: "kept" } },
      automountServiceAccountToken: false,
      secrets: [{ name: "builder-token" }],
      imagePullSecrets: [{ name: "regcred" }],
    });
    await create("serviceaccounts", `${NS}-2`, { metadata: { name: "other" } });
    await create("secrets", NS, {
      metadata: { name: "regcred" },
      type: "kubernetes.io/dockerconfigjson",
      data: { ".dockerconfigjson": Buffer.from('{"auths":{}}').toString("base64") },
    });
    await create("secrets", NS, { metadata: { name: "opaque" }, stringData: { a: "1", b: "two" } });
    await create("configmaps", NS, { metadata: { name: "settings" }, data: { mode: "fast" } });
    await create("nodes", "", { metadata: { name: "node-a", labels: { zone: "z1" } } });
    const pod = await create("pods", NS, {
      metadata: { name: "runner", labels: { app: "ci" } },
      spec: {
        serviceAccountName: "builder",
        nodeName: "node-a",
        containers: [{ name: "c", image: "busybox" }],
      },
    });
    await create("roles", NS, {
      metadata: { name: "reader" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
    });
    await create("rolebindings", NS, {
      metadata: { name: "builder-reads" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" },
      subjects: [{ kind: "ServiceAccount", name: "builder", namespace: NS }],
    });
    await create("clusterroles", "", {
      metadata: { name: "durable-viewer" },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
    });
    // updates, a deletion, and an object held by a finalizer while being deleted
    await write("MODIFIED", "configmaps", NS, "settings", { data: { mode: "slow", extra: "x" } });
    await write("MODIFIED", "serviceaccounts", NS, "builder", {
      metadata: { labels: { app: "ci", v: "2" } },
    });
    await create("configmaps", NS, { metadata: { name: "short-lived" } });
    await write("DELETED", "configmaps", NS, "short-lived");
    await create("configmaps", NS, { metadata: { name: "held", finalizers: ["example.com/hold"] } });
    await write("DELETED", "configmaps", NS, "held");

    const token = await api.post(`${collection("serviceaccounts", NS)}/builder/token`, {
      spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "runner", uid: pod.metadata.uid } },
    });
    expect(token.status).toBe(201);
    const reviewToken = async () =>
      (
        await api.post("/apis/authentication.k8s.io/v1/tokenreviews", {
          spec: { token: token.json().status.token },
        })
      ).json().status;
    const reviewed = await reviewToken();
    expect(reviewed.authenticated).toBe(true);

    const before = await snapshot();
    const watchFromStart = `${collection("configmaps", NS)}?watch=1&resourceVersion=${startRevision}`;
    const history = await api.watch(watchFromStart, 6);
    expect(history.status).toBe(200);
    const summary = (events: Json[]) =>
      events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
    expect(summary(history.events).map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual([
      "ADDED settings",
      "MODIFIED settings",
      "ADDED short-lived",
      "DELETED short-lived",
      "ADDED held",
      "MODIFIED held",
    ]);
    expect(Object.keys(before.items)).toEqual(
      expect.arrayContaining([`configmaps/${NS}/held`, `pods/${NS}/runner`, `nodes//node-a`]),
    );
    expect(before.items[`configmaps/${NS}/short-lived`]).toBeUndefined();

    await stack.stop("apiserver");
    await stack.start("apiserver");

    const after = await snapshot();
    expect(after.items).toEqual(before.items);
    expect(after.revision).toBe(before.revision);
    expect(await reviewToken()).toEqual(reviewed);
    // the watch history survives too: a client resuming from an old resourceVersion misses nothing
    const resumed = await api.watch(watchFromStart, 6);
    expect(resumed.status).toBe(200);
    expect(summary(resumed.events)).toEqual(summary(history.events));

    const next = await create("configmaps", NS, { metadata: { name: "after-restart" } });
    const rv = BigInt(next.metadata.resourceVersion);
    expect(rv).toBeGreaterThan(before.revision);
    expect(rv).toBeGreaterThan(maxResourceVersion(before.items));
    expect(
      acked.every(
        (a) =>
          a.resourceVersion === undefined ||
          a.resourceVersion < rv ||
          a.key === `configmaps/${NS}/after-restart`,
      ),
    ).toBe(true);
  });

  it("a crash (SIGKILL) amid writes loses nothing acknowledged; resourceVersions continue after it", async () => {
    const WORKERS = 4;
    let stop = false;
    /** Per worker: its counter's last acknowledged value and resourceVersion. */
    const counters: { n: number; rv: bigint }[] = [];
    const createdByWorker: { name: string; rv: bigint }[][] = [];
    for (let w = 0; w < WORKERS; w++) {
      const c = await create("configmaps", NS, { metadata: { name: `counter-${w}` }, data: { n: "0" } });
      counters.push({ n: 0, rv: BigInt(c.metadata.resourceVersion) });
      createdByWorker.push([]);
    }
    const worker = async (w: number) => {
      for (let i = 1; !stop; i++) {
        try {
          if (i % 3 === 0) {
            const name = `crash-${w}-${i}`;
            const o = await create("configmaps", NS, { metadata: { name }, data: { i: String(i) } });
            createdByWorker[w]!.push({ name, rv: BigInt(o.metadata.resourceVersion) });
          } else {
            const n = counters[w]!.n + 1;
            const o = await write("MODIFIED", "configmaps", NS, `counter-${w}`, { data: { n: String(n) } });
            counters[w] = { n, rv: BigInt(o.metadata.resourceVersion) };
          }
        } catch {
          return; // the connection died with the process: this write was not acknowledged
        }
      }
    };
    const start = acked.length;
    const running = Array.from({ length: WORKERS }, (_, w) => worker(w));
    await eventually(async () => (acked.length - start >= 60 ? true : undefined), "60 acknowledged writes");
    await stack.kill("apiserver");
    stop = true;
    await Promise.all(running);
    const lastAcked = acked.slice(start);
    expect(lastAcked.length).toBeGreaterThanOrEqual(60);

    await stack.start("apiserver");
    for (let w = 0; w < WORKERS; w++) {
      const o = (await api.get(`${collection("configmaps", NS)}/counter-${w}`)).json();
      const n = Number(o.data.n);
      const { n: ackedN, rv } = counters[w]!;
      // the write in flight at the crash may or may not have been committed — never anything older
      expect([ackedN, ackedN + 1]).toContain(n);
      if (n === ackedN) expect(BigInt(o.metadata.resourceVersion)).toBe(rv);
      else expect(BigInt(o.metadata.resourceVersion)).toBeGreaterThan(rv);
      for (const created of createdByWorker[w]!) {
        const got = await api.get(`${collection("configmaps", NS)}/${created.name}`);
        expect(got.status, created.name).toBe(200);
        expect(BigInt(got.json().metadata.resourceVersion)).toBe(created.rv);
      }
    }
    const highest = lastAcked.reduce(
      (m, a) => (a.resourceVersion !== undefined && a.resourceVersion > m ? a.resourceVersion : m),
      0n,
    );
    const next = await create("configmaps", NS, { metadata: { name: "after-crash" } });
    expect(BigInt(next.metadata.resourceVersion)).toBeGreaterThan(highest);
  });
});

describe("events across NATS outages", () => {
  it("writes go on while NATS is down; afterwards every acknowledged change arrives as an event, in order per object", async () => {
    const NS_EVENTS = `${NS}-events`;
    await create("namespaces", "", { metadata: { name: NS_EVENTS } });
    let stop = false;
    let natsDown = false;
    let writesWhileDown = 0;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `ev-${i % 12}`;
        const exists = acked.some((a) => a.key === `configmaps/${NS_EVENTS}/${name}`)
          ? acked.findLast((a) => a.key === `configmaps/${NS_EVENTS}/${name}`)!.type !== "DELETED"
          : false;
        if (!exists) await create("configmaps", NS_EVENTS, { metadata: { name }, data: { i: String(i) } });
        else if (i % 5 === 0) await write("DELETED", "configmaps", NS_EVENTS, name);
        else await write("MODIFIED", "configmaps", NS_EVENTS, name, { data: { i: String(i) } });
        if (natsDown) writesWhileDown++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

    await pause(500);
    // a crash and an immediate restart of nats-server
    await stack.nats.restart({ signal: "SIGKILL" });
    await pause(500);
    // a longer outage: the crash first, writes go on for 2 s, then the server comes back
    const killedPid = stack.nats.pid;
    natsDown = true;
    process.kill(killedPid, "SIGKILL");
    await pause(2000);
    natsDown = false;
    await stack.nats.restart();
    expect(stack.nats.pid).not.toBe(killedPid);
    await pause(500);
    stop = true;
    await writer;
    expect(writesWhileDown).toBeGreaterThan(10);

    // the apiserver restarted while NATS is down starts, serves writes, and publishes them later
    const downPid = stack.nats.pid;
    process.kill(downPid, "SIGKILL");
    await stack.stop("apiserver");
    await stack.start("apiserver");
    for (let i = 0; i < 5; i++) {
      await create("configmaps", NS_EVENTS, { metadata: { name: `while-down-${i}` } });
    }
    await stack.nats.restart();
    expect(stack.nats.pid).not.toBe(downPid);
    const lastWrite = Date.now();

    // every acknowledged change of this file, de-duplicated by resourceVersion
    const key = (e: { resource: string; namespace: string; name: string }) =>
      `${e.resource}/${e.namespace}/${e.name}`;
    /** The event of acknowledged write `i`, if it arrived. */
    const eventOf = (i: number) => {
      const a = acked[i]!;
      if (a.resourceVersion !== undefined) {
        return collector.events.find((e) => e.resourceVersion === a.resourceVersion && key(e) === a.key);
      }
      // a deletion answered with a Status: its DELETED event lies between the object's neighbours
      const sameKey = (b: Acked) => b.key === a.key && b.resourceVersion !== undefined;
      const before = acked.slice(0, i).findLast(sameKey)?.resourceVersion ?? 0n;
      const after = acked.slice(i + 1).find(sameKey)?.resourceVersion;
      return collector.events.find(
        (e) =>
          key(e) === a.key &&
          e.type === "DELETED" &&
          e.resourceVersion > before &&
          (after === undefined || e.resourceVersion < after),
      );
    };
    const missing = () => acked.filter((_, i) => eventOf(i) === undefined);
    await eventually(
      async () => (missing().length === 0 ? true : undefined),
      "every acknowledged change as an event",
      30_000,
      200,
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}; ${missing().length} of ${acked.length} missing, first: ${JSON.stringify(missing().slice(0, 5), (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
      );
    });
    const deliveredWithin = Date.now() - lastWrite;
    console.log(
      `events: ${acked.length} acknowledged writes, ${collector.events.length} events received (with duplicates), last one ${deliveredWithin} ms after the last write; ${writesWhileDown} writes while NATS was down`,
    );

    const firstByRv = new Map<bigint, (typeof collector.events)[number]>();
    for (const e of collector.events) {
      expect(e.objectResourceVersion).toBe(String(e.resourceVersion));
      const earlier = firstByRv.get(e.resourceVersion);
      if (earlier === undefined) firstByRv.set(e.resourceVersion, e);
      // a duplicate is the same change again
      else expect([key(e), e.type]).toEqual([key(earlier), earlier.type]);
    }
    acked.forEach((a, i) => {
      const e = eventOf(i)!;
      expect([key(e), e.type]).toEqual([a.key, a.type]);
    });
    // in order per object: the first deliveries of an object's changes have increasing resourceVersions
    const lastPerObject = new Map<string, bigint>();
    const seen = new Set<bigint>();
    for (const e of collector.events) {
      if (seen.has(e.resourceVersion)) continue;
      seen.add(e.resourceVersion);
      const previous = lastPerObject.get(key(e));
      if (previous !== undefined) expect(e.resourceVersion, key(e)).toBeGreaterThan(previous);
      lastPerObject.set(key(e), e.resourceVersion);
    }
  });
});
