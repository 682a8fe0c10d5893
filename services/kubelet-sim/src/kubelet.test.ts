/**
 * The kubelet-sim wired from its config, against an in-memory apiserver and informers, with a
 * driven clock and a real temporary root directory: binding, start after the start delay,
 * refresh at 80 % of the lifetime (jitter 0), graceful deletion at the end of the grace period,
 * and a restart over the same directory that re-adopts tokens without a TokenRequest.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { clone, create } from "@bufbuild/protobuf";
import { newNotFound, type StoredObject, timeFromMs } from "@tokenplane/apimachinery";
import { generateSigningKey, signToken } from "@tokenplane/crypto";
import { corev1 } from "@tokenplane/proto";
import { FakeClock, type Informer, type InformerStats, metricValue } from "@tokenplane/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_BEHAVIOUR } from "./behaviour/behaviour.js";
import type { KubeletApi, ListedKinds } from "./client/kubelet-api.js";
import { createKubeletSim, type KubeletSim } from "./kubelet.js";
import { silentLogger } from "./testing/capture-logger.js";
import type { TokenRequestLike, TokenSpec } from "./tokens/refresh-rules.js";

const T0 = Date.UTC(2024, 0, 1);
const key = generateSigningKey("ES256");

/** An informer fed by the test. */
class FakeInformer<T extends StoredObject> implements Informer<T> {
  readonly items = new Map<string, T>();
  #add: Array<(o: T) => void | Promise<void>> = [];
  #update: Array<(a: T, b: T) => void | Promise<void>> = [];
  #delete: Array<(o: T) => void | Promise<void>> = [];
  #started = false;
  static key = (o: StoredObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
  async start() {
    this.#started = true;
    for (const o of this.items.values()) for (const h of this.#add) await h(o);
  }
  hasSynced = () => this.#started;
  get = (ns: string, name: string) => this.items.get(`${ns}/${name}`);
  list = () => [...this.items.values()];
  onAdd(h: (o: T) => void | Promise<void>) {
    this.#add.push(h);
  }
  onUpdate(h: (a: T, b: T) => void | Promise<void>) {
    this.#update.push(h);
  }
  onDelete(h: (o: T) => void | Promise<void>) {
    this.#delete.push(h);
  }
  stats = (): InformerStats => ({
    eventsApplied: 0,
    eventsDuplicate: 0,
    eventsStale: 0,
    relists: 0,
    handlerErrors: 0,
  });
  async stop() {}
  /** Stores `o` and tells the handlers (add or update). */
  set(o: T) {
    const k = FakeInformer.key(o);
    const old = this.items.get(k);
    this.items.set(k, o);
    if (!this.#started) return;
    if (old === undefined) for (const h of this.#add) void h(o);
    else for (const h of this.#update) void h(old, o);
  }
  remove(o: T) {
    this.items.delete(FakeInformer.key(o));
    if (this.#started) for (const h of this.#delete) void h(o);
  }
}

/** The apiserver in memory: pods, nodes, tokens; every call recorded. */
function fakeCluster(clock: FakeClock) {
  const pods = new FakeInformer<corev1.Pod>();
  const configMaps = new FakeInformer<corev1.ConfigMap>();
  const secrets = new FakeInformer<corev1.Secret>();
  const nodes = new Map<string, corev1.Node>();
  const calls: string[] = [];
  let tokens = 0;
  const podOf = (ns: string, name: string) => {
    const p = pods.get(ns, name);
    if (p === undefined) throw newNotFound({ group: "", resource: "pods" }, name);
    return clone(corev1.PodSchema, p);
  };
  const api: KubeletApi = {
    list: async () => ({ items: [], resourceVersion: "1" }),
    getConfigMap: async (ns, name) => configMaps.get(ns, name),
    getSecret: async (ns, name) => secrets.get(ns, name),
    getNode: async (name) => nodes.get(name)!,
    async createNode(node) {
      calls.push(`createNode ${node.metadata?.name}`);
      const n = clone(corev1.NodeSchema, node);
      n.metadata!.uid = `uid-${node.metadata?.name}`;
      nodes.set(node.metadata!.name, n);
      return n;
    },
    async patchNode(name, _patch, subresource) {
      calls.push(`patchNode ${name} ${subresource ?? ""}`);
      return nodes.get(name)!;
    },
    async deleteNode(name) {
      nodes.delete(name);
    },
    async bindPod(ns, name, node) {
      calls.push(`bind ${ns}/${name} ${node}`);
      const p = podOf(ns, name);
      p.spec!.nodeName = node;
      pods.set(p);
    },
    async patchPodStatus(ns, name, patch) {
      const status = (JSON.parse(patch) as { status: { phase: string; startTime: string } }).status;
      calls.push(`status ${ns}/${name} ${status.phase}`);
      const p = podOf(ns, name);
      p.status!.phase = status.phase;
      p.status!.startTime = timeFromMs(Date.parse(status.startTime));
      pods.set(p);
    },
    async confirmPodDeletion(ns, name, uid) {
      calls.push(`confirm ${ns}/${name}`);
      const p = pods.get(ns, name);
      if (p?.metadata?.uid === uid) pods.remove(p);
    },
    async createToken(ns, name, spec: TokenSpec): Promise<TokenRequestLike> {
      tokens++;
      calls.push(`token ${ns}/${spec.boundObjectRef?.name}`);
      const seconds = spec.expirationSeconds ?? 3600;
      const iat = Math.floor(clock.now() / 1000);
      return {
        spec: { ...spec, audiences: spec.audiences ?? ["https://issuer"] },
        status: {
          token: signToken(key, {
            iss: "https://issuer",
            sub: `system:serviceaccount:${ns}:${name}`,
            iat,
            exp: iat + seconds,
            jti: `jti-${tokens}`,
          }),
          expirationTimestamp: (iat + seconds) * 1000,
        },
      };
    },
  };
  configMaps.items.set(
    "ns/kube-root-ca.crt",
    create(corev1.ConfigMapSchema, {
      metadata: { name: "kube-root-ca.crt", namespace: "ns" },
      data: { "ca.crt": "PEM" },
    }),
  );
  return { api, pods, configMaps, secrets, nodes, calls, tokenCount: () => tokens };
}

function newPod(name: string, expirationSeconds: bigint) {
  return create(corev1.PodSchema, {
    metadata: { name, namespace: "ns", uid: `uid-${name}` },
    spec: {
      serviceAccountName: "default",
      schedulerName: "default-scheduler",
      terminationGracePeriodSeconds: 30n,
      containers: [
        {
          name: "app",
          image: "busybox",
          volumeMounts: [
            { name: "kube-api-access-x", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
          ],
        },
      ],
      volumes: [
        {
          name: "kube-api-access-x",
          volumeSource: {
            projected: {
              defaultMode: 420,
              sources: [
                { serviceAccountToken: { path: "token", expirationSeconds } },
                {
                  configMap: {
                    localObjectReference: { name: "kube-root-ca.crt" },
                    items: [{ key: "ca.crt", path: "ca.crt" }],
                  },
                },
              ],
            },
          },
        },
      ],
    },
    status: { phase: "Pending" },
  });
}

/**
 * Polls (real time) until `check` holds, while the fake clock stands still; `check` may be async
 * because prom-client metric values are read asynchronously.
 */
async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`never happened: ${what}`);
}

let root: string;
let sims: KubeletSim[] = [];
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "kubelet-sim-unit-"));
});
afterEach(async () => {
  for (const s of sims) await s.stop();
  sims = [];
  rmSync(root, { recursive: true, force: true });
});

function sim(clock: FakeClock, cluster: ReturnType<typeof fakeCluster>): KubeletSim {
  const s = createKubeletSim({
    api: cluster.api,
    informerFactory: <R extends "pods" | "configmaps" | "secrets">(r: R) =>
      ({ pods: cluster.pods, configmaps: cluster.configMaps, secrets: cluster.secrets })[
        r
      ] as unknown as Informer<ListedKinds[R]>,
    clock,
    log: silentLogger,
    rootDir: root,
    apiserverUrl: "https://127.0.0.1:1",
    nodeNames: ["n-0", "n-1"],
    nodeLabels: {},
    behaviour: DEFAULT_BEHAVIOUR,
    maxConcurrentTokenRequests: 4,
    maxConcurrentApiCalls: 4,
    workloads: "none",
    workloadIntervalMs: 10_000,
    deleteNodesOnShutdown: false,
    chown: false,
    random: () => 0,
  });
  sims.push(s);
  return s;
}

const tokenPath = (uid: string) =>
  path.join(root, "pods", uid, "volumes", "kubernetes.io~projected", "kube-api-access-x", "token");

describe("createKubeletSim with a driven clock", () => {
  it("binds, starts after the start delay, refreshes at 80 %, and deletes at the end of the grace period", async () => {
    const clock = new FakeClock(T0);
    const cluster = fakeCluster(clock);
    const s = sim(clock, cluster);
    await s.start();
    expect(cluster.calls.filter((c) => c.startsWith("createNode"))).toEqual([
      "createNode n-0",
      "createNode n-1",
    ]);

    cluster.pods.set(newPod("web", 600n));
    await eventually("token on disk", () => existsSync(tokenPath("uid-web")));
    expect(cluster.calls).toContain("bind ns/web n-0");
    expect(cluster.calls).toContain("status ns/web Pending");
    const first = readFileSync(tokenPath("uid-web"), "utf8");
    expect(cluster.pods.get("ns", "web")?.status?.phase).toBe("Pending");

    // Start delay 1 s (jitter 0).
    await clock.advance(999);
    expect(cluster.calls).not.toContain("status ns/web Running");
    await clock.advance(1);
    await eventually("Running", () => cluster.pods.get("ns", "web")?.status?.phase === "Running");
    expect(await metricValue(s.metrics.registry, "kubelet_sim_pods", { state: "running" })).toBe(1);

    // 600 s token: refresh strictly after 480 s from issue.
    await clock.advance(480_000 - 1000);
    expect(cluster.tokenCount()).toBe(1);
    await clock.advance(1);
    await eventually("refreshed token", () => readFileSync(tokenPath("uid-web"), "utf8") !== first);
    expect(cluster.tokenCount()).toBe(2);
    expect(await metricValue(s.metrics.registry, "kubelet_sim_token_refresh_lag_seconds")).toBe(1);

    // Graceful deletion: 30 s grace from now.
    const deleting = clone(corev1.PodSchema, cluster.pods.get("ns", "web")!);
    deleting.metadata!.deletionTimestamp = timeFromMs(clock.now() + 30_000);
    deleting.metadata!.deletionGracePeriodSeconds = 30n;
    cluster.pods.set(deleting);
    await clock.advance(29_000);
    expect(existsSync(tokenPath("uid-web"))).toBe(true);
    expect(cluster.calls).not.toContain("confirm ns/web");
    await clock.advance(1000);
    await eventually("deletion confirmed", () => cluster.calls.includes("confirm ns/web"));
    expect(existsSync(path.join(root, "pods", "uid-web"))).toBe(false);
    await eventually(
      "pod forgotten",
      async () => (await metricValue(s.metrics.registry, "kubelet_sim_pods", { state: "terminating" })) === 0,
    );
    expect(await metricValue(s.metrics.registry, "kubelet_sim_tokens_cached")).toBe(0);
  });

  it("re-adopts a running pod's token after a restart without a TokenRequest or a status write", async () => {
    const clock = new FakeClock(T0);
    const cluster = fakeCluster(clock);
    const s1 = sim(clock, cluster);
    await s1.start();
    cluster.pods.set(newPod("web", 3607n));
    await eventually("token on disk", () => existsSync(tokenPath("uid-web")));
    await clock.advance(1000);
    await eventually("Running", () => cluster.pods.get("ns", "web")?.status?.phase === "Running");
    const token = readFileSync(tokenPath("uid-web"), "utf8");
    await s1.stop();
    sims = [];

    await clock.advance(600_000);
    const calls = cluster.calls.length;
    const s2 = sim(clock, cluster);
    await s2.start();
    await eventually(
      "adopted",
      async () => (await metricValue(s2.metrics.registry, "kubelet_sim_tokens_adopted_total")) === 1,
    );
    await clock.advance(1000);
    expect(cluster.tokenCount()).toBe(1);
    expect(
      cluster.calls.slice(calls).filter((c) => !c.startsWith("patchNode") && !c.startsWith("createNode")),
    ).toEqual([]);
    expect(readFileSync(tokenPath("uid-web"), "utf8")).toBe(token);
    // Still refreshed on time: 2886 s after issue.
    await clock.advance(2886_000 - 602_000);
    expect(cluster.tokenCount()).toBe(1);
    await clock.advance(1);
    await eventually("refresh after adoption", () => cluster.tokenCount() === 2);
  });

  it("removes the directories of pods it no longer runs", async () => {
    const clock = new FakeClock(T0);
    const cluster = fakeCluster(clock);
    const s1 = sim(clock, cluster);
    await s1.start();
    cluster.pods.set(newPod("gone", 3607n));
    await eventually("token", () => existsSync(tokenPath("uid-gone")));
    await s1.stop();
    sims = [];
    cluster.pods.items.clear(); // deleted while the process was down, event lost
    const s2 = sim(clock, cluster);
    await s2.start();
    expect(existsSync(path.join(root, "pods", "uid-gone"))).toBe(false);
  });
});
