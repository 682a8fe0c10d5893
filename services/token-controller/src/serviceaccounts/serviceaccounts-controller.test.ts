import { create } from "@bufbuild/protobuf";
import { newAlreadyExists, newInternalError } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { createLogger, FakeClock } from "@tokenplane/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, FakeCluster } from "../testing/fake-cluster.js";
import { newServiceAccountsController } from "./serviceaccounts-controller.js";

const log = createLogger({ service: "test", level: "silent", pretty: false });
const namespace = (name: string) => create(corev1.NamespaceSchema, { metadata: { name } });

describe("ServiceAccounts controller (reference §4.1)", () => {
  const stops: AbortController[] = [];
  afterEach(() => {
    for (const s of stops.splice(0)) s.abort();
  });

  async function start(cluster: FakeCluster, clock: FakeClock) {
    const namespaces = cluster.informer("namespaces");
    const serviceAccounts = cluster.informer("serviceaccounts");
    const controller = newServiceAccountsController({
      namespaces,
      serviceAccounts,
      client: cluster,
      clock,
      log,
    });
    await Promise.all([namespaces.start(), serviceAccounts.start()]);
    const stop = new AbortController();
    stops.push(stop);
    const done = controller.run(stop.signal);
    return { namespaces, serviceAccounts, stop, done };
  }

  it("creates default in every namespace, existing ones at start-up and new ones", async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const cluster = new FakeCluster(clock);
    await cluster.admin.create("namespaces", namespace("old"));
    await start(cluster, clock);
    await eventually(() => cluster.peek("serviceaccounts", "old", "default") !== undefined);
    await cluster.admin.create("namespaces", namespace("new"));
    await eventually(() => cluster.peek("serviceaccounts", "new", "default") !== undefined);
    await cluster.idle();
    expect(cluster.callsOf("create").sort()).toEqual([
      "serviceaccounts new/default",
      "serviceaccounts old/default",
    ]);
    const sa = cluster.peek("serviceaccounts", "new", "default")!;
    expect(sa.secrets).toEqual([]);
    expect(sa.automountServiceAccountToken).toBeUndefined();
    expect(sa.metadata?.labels).toEqual({});
  });

  it("does not create a default the cache already has (waits for the caches first)", async () => {
    const clock = new FakeClock(0);
    const cluster = new FakeCluster(clock);
    await cluster.admin.create("namespaces", namespace("a"));
    await cluster.admin.create(
      "serviceaccounts",
      create(corev1.ServiceAccountSchema, { metadata: { name: "default", namespace: "a" } }),
    );
    const { serviceAccounts } = await start(cluster, clock);
    await clock.advance(200);
    await cluster.idle();
    expect(serviceAccounts.hasSynced()).toBe(true);
    expect(cluster.callsOf("create")).toEqual([]);
  });

  it("recreates a deleted default with a new uid", async () => {
    const clock = new FakeClock(0);
    const cluster = new FakeCluster(clock);
    await cluster.admin.create("namespaces", namespace("a"));
    await start(cluster, clock);
    await eventually(() => cluster.peek("serviceaccounts", "a", "default") !== undefined);
    const before = cluster.peek("serviceaccounts", "a", "default")!.metadata!.uid;
    await cluster.admin.delete("serviceaccounts", "a", "default");
    await eventually(() => cluster.peek("serviceaccounts", "a", "default") !== undefined);
    const after = cluster.peek("serviceaccounts", "a", "default")!.metadata!.uid;
    expect(after).not.toBe(before);
    expect(cluster.callsOf("create")).toEqual(["serviceaccounts a/default", "serviceaccounts a/default"]);
  });

  it("leaves a terminating namespace alone", async () => {
    const clock = new FakeClock(0);
    const cluster = new FakeCluster(clock);
    await cluster.admin.create(
      "namespaces",
      create(corev1.NamespaceSchema, { metadata: { name: "going" }, status: { phase: "Terminating" } }),
    );
    await start(cluster, clock);
    await clock.advance(200);
    await cluster.idle();
    expect(cluster.callsOf("create")).toEqual([]);
  });

  it("retries a failed create with back-off until it succeeds", async () => {
    const clock = new FakeClock(0);
    const cluster = new FakeCluster(clock);
    await cluster.admin.create("namespaces", namespace("a"));
    cluster.failNext("create", "serviceaccounts", newInternalError(new Error("etcd down")), 3);
    await start(cluster, clock);
    await eventually(() => cluster.peek("serviceaccounts", "a", "default") !== undefined, {
      advance: { clock, stepMs: 5 },
    });
    // 5 ms, 10 ms and 20 ms back-off: four attempts.
    expect(cluster.callsOf("create")).toEqual(Array(4).fill("serviceaccounts a/default"));
  });

  it("treats AlreadyExists as done (the cache was behind)", async () => {
    const clock = new FakeClock(0);
    const cluster = new FakeCluster(clock);
    await cluster.admin.create("namespaces", namespace("a"));
    cluster.failNext(
      "create",
      "serviceaccounts",
      newAlreadyExists({ group: "", resource: "serviceaccounts" }, "default"),
    );
    await start(cluster, clock);
    await eventually(() => cluster.callsOf("create").length === 1);
    await clock.advance(10_000);
    await cluster.idle();
    expect(cluster.callsOf("create")).toEqual(["serviceaccounts a/default"]);
  });

  it("stops its workers when its signal aborts", async () => {
    const clock = new FakeClock(0);
    const cluster = new FakeCluster(clock);
    const { stop, done } = await start(cluster, clock);
    await clock.advance(200);
    stop.abort();
    await done;
    await cluster.admin.create("namespaces", namespace("late"));
    await cluster.idle();
    expect(cluster.callsOf("create")).toEqual([]);
  });
});
