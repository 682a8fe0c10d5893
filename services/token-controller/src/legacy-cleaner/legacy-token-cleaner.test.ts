import { create } from "@bufbuild/protobuf";
import { utcDate } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { createLogger, FakeClock } from "@tokenplane/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, FakeCluster } from "../testing/fake-cluster.js";
import { newLegacyTokenCleaner } from "./legacy-token-cleaner.js";

const log = createLogger({ service: "test", level: "silent", pretty: false });
const HOUR = 60 * 60 * 1000;
const T = Date.parse("2024-06-10T09:00:00Z");
const INVALID = "kubernetes.io/legacy-token-invalid-since";
const LAST_USED = "kubernetes.io/legacy-token-last-used";

/** The four cases of TestLegacyServiceAccountTokenCleanUp (reference §4.5). */
const cases = [
  {
    ns: "clean-ns-1",
    name: "auto token, used, not mounted",
    lastUsed: true,
    manual: false,
    mounted: false,
    cleaned: true,
  },
  { ns: "clean-ns-2", name: "manual token", lastUsed: true, manual: true, mounted: false, cleaned: false },
  {
    ns: "clean-ns-3",
    name: "auto token mounted by a pod",
    lastUsed: true,
    manual: false,
    mounted: true,
    cleaned: false,
  },
  {
    ns: "clean-ns-4",
    name: "auto token never used",
    lastUsed: false,
    manual: false,
    mounted: false,
    cleaned: true,
  },
];

describe("legacy token cleaner with a driven clock (reference §4.5)", () => {
  const stops: AbortController[] = [];
  afterEach(() => {
    for (const s of stops.splice(0)) s.abort();
  });

  async function setUp(options: { tracking?: boolean } = {}) {
    const clock = new FakeClock(T);
    const cluster = new FakeCluster(clock);
    await cluster.admin.create(
      "namespaces",
      create(corev1.NamespaceSchema, { metadata: { name: "kube-system" } }),
    );
    if (options.tracking ?? true) {
      // Maintained by the apiserver (reference §4.4): tracking started today.
      await cluster.admin.create(
        "configmaps",
        create(corev1.ConfigMapSchema, {
          metadata: {
            name: "kube-apiserver-legacy-service-account-token-tracking",
            namespace: "kube-system",
          },
          data: { since: utcDate(T) },
        }),
      );
    }
    for (const c of cases) {
      await cluster.admin.create("namespaces", create(corev1.NamespaceSchema, { metadata: { name: c.ns } }));
      const sa = await cluster.admin.create(
        "serviceaccounts",
        create(corev1.ServiceAccountSchema, { metadata: { name: "default", namespace: c.ns } }),
      );
      await cluster.admin.create(
        "secrets",
        create(corev1.SecretSchema, {
          metadata: {
            name: "token",
            namespace: c.ns,
            annotations: {
              "kubernetes.io/service-account.name": "default",
              "kubernetes.io/service-account.uid": sa.metadata!.uid,
            },
          },
          type: "kubernetes.io/service-account-token",
          data: { token: new TextEncoder().encode("x") },
        }),
      );
      if (!c.manual) {
        // What an auto-generated token looked like: listed in the ServiceAccount's secrets.
        sa.secrets = [create(corev1.ObjectReferenceSchema, { name: "token" })];
        await cluster.admin.update("serviceaccounts", sa);
      }
      if (c.mounted) {
        await cluster.admin.create(
          "pods",
          create(corev1.PodSchema, {
            metadata: { name: "mounter", namespace: c.ns },
            spec: {
              serviceAccountName: "default",
              containers: [{ name: "c", image: "busybox" }],
              volumes: [{ name: "t", volumeSource: { secret: { secretName: "token" } } }],
            },
          }),
        );
      }
      if (c.lastUsed) {
        // What the apiserver writes on use (reference §1.6).
        await cluster.admin.mergePatch(
          "secrets",
          c.ns,
          "token",
          JSON.stringify({ metadata: { labels: { [LAST_USED]: utcDate(T) } } }),
        );
      }
    }
    const serviceAccounts = cluster.informer("serviceaccounts");
    const secrets = cluster.informer("secrets");
    const pods = cluster.informer("pods");
    const cleaner = newLegacyTokenCleaner({
      serviceAccounts,
      secrets,
      pods,
      client: cluster,
      clock,
      log,
      syncIntervalMs: HOUR,
      cleanUpPeriodMs: 24 * HOUR,
    });
    await Promise.all([serviceAccounts.start(), secrets.start(), pods.start()]);
    const stop = new AbortController();
    stops.push(stop);
    const done = cleaner.run(stop.signal);
    /** Moves time on one sync interval at a time, letting the informers catch up in between. */
    const step = async (ms: number) => {
      for (let left = ms; left > 0; left -= HOUR) {
        await clock.advance(Math.min(HOUR, left));
        await cluster.idle();
      }
      await cluster.idle();
    };
    return { clock, cluster, step, stop, done };
  }

  it("labels unused auto-generated tokens invalid, deletes them a period later, never touches the others", async () => {
    const { cluster, step } = await setUp();
    const state = () =>
      Object.fromEntries(
        cases.map((c) => {
          const s = cluster.peek("secrets", c.ns, "token");
          return [c.ns, s === undefined ? "deleted" : (s.metadata?.labels[INVALID] ?? "valid")];
        }),
      );
    // One period of tracking has not passed yet (tracking counts from tomorrow 00:00).
    await step(24 * HOUR);
    expect(state()).toEqual({
      "clean-ns-1": "valid",
      "clean-ns-2": "valid",
      "clean-ns-3": "valid",
      "clean-ns-4": "valid",
    });
    expect(cluster.callsOf("patch")).toEqual([]);

    await step(24 * HOUR);
    const labelled = utcDate(T + 48 * HOUR);
    expect(state()).toEqual({
      "clean-ns-1": labelled,
      "clean-ns-2": "valid",
      "clean-ns-3": "valid",
      "clean-ns-4": labelled,
    });

    // A day later the label is not yet a whole period old.
    await step(24 * HOUR);
    expect(state()).toEqual({
      "clean-ns-1": labelled,
      "clean-ns-2": "valid",
      "clean-ns-3": "valid",
      "clean-ns-4": labelled,
    });

    await step(24 * HOUR);
    expect(state()).toEqual({
      "clean-ns-1": "deleted",
      "clean-ns-2": "valid",
      "clean-ns-3": "valid",
      "clean-ns-4": "deleted",
    });
    // Labelled once each (later runs see the label), deleted once each.
    expect(cluster.callsOf("patch").sort()).toEqual(["secrets clean-ns-1/token", "secrets clean-ns-4/token"]);
    expect(cluster.callsOf("delete").sort()).toEqual([
      "secrets clean-ns-1/token",
      "secrets clean-ns-4/token",
    ]);

    await step(7 * 24 * HOUR);
    expect(cluster.peek("secrets", "clean-ns-2", "token")?.metadata?.labels[INVALID]).toBeUndefined();
    expect(cluster.peek("secrets", "clean-ns-3", "token")?.metadata?.labels[INVALID]).toBeUndefined();
  });

  it("runs once at start and then every sync interval, reading the tracking ConfigMap live", async () => {
    const { clock, cluster, step } = await setUp();
    // The first run is done once the cleaner sleeps.
    await eventually(() => clock.pendingSleeps === 1);
    expect(cluster.callsOf("get")).toEqual([
      "configmaps kube-system/kube-apiserver-legacy-service-account-token-tracking",
    ]);
    await step(3 * HOUR);
    expect(cluster.callsOf("get").length).toBe(4);
  });

  it("without the tracking ConfigMap does nothing", async () => {
    const { cluster, step } = await setUp({ tracking: false });
    await step(30 * 24 * HOUR);
    expect(cluster.callsOf("patch")).toEqual([]);
    expect(cluster.callsOf("delete")).toEqual([]);
  });

  it("stops when its signal aborts", async () => {
    const { cluster, step, stop, done } = await setUp();
    stop.abort();
    await done;
    const gets = cluster.callsOf("get").length;
    await step(10 * HOUR);
    expect(cluster.callsOf("get").length).toBe(gets);
  });

  it("refuses a period or interval that is not positive", () => {
    const clock = new FakeClock(0);
    const cluster = new FakeCluster(clock);
    const base = {
      serviceAccounts: cluster.informer("serviceaccounts"),
      secrets: cluster.informer("secrets"),
      pods: cluster.informer("pods"),
      client: cluster,
      clock,
      log,
    };
    expect(() => newLegacyTokenCleaner({ ...base, cleanUpPeriodMs: 0 })).toThrow(
      "invalid CleanUpPeriod: 0ms",
    );
    expect(() => newLegacyTokenCleaner({ ...base, syncIntervalMs: -1 })).toThrow(
      "invalid SyncInterval: -1ms",
    );
  });
});
