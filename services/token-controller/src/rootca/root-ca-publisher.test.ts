import { create } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { createLogger, FakeClock } from "@tokenplane/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventually, FakeCluster } from "../testing/fake-cluster.js";
import { DESCRIPTION } from "./root-ca-configmap.js";
import { newRootCAPublisher } from "./root-ca-publisher.js";

const log = createLogger({ service: "test", level: "silent", pretty: false });
const CA = "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n";
const namespace = (name: string, phase = "") =>
  create(corev1.NamespaceSchema, { metadata: { name }, status: { phase } });

describe("root CA publisher (reference §4.3)", () => {
  let clock: FakeClock;
  let cluster: FakeCluster;
  const stops: AbortController[] = [];
  beforeEach(() => {
    clock = new FakeClock(0);
    cluster = new FakeCluster(clock);
  });
  afterEach(() => {
    for (const s of stops.splice(0)) s.abort();
  });
  async function start() {
    const namespaces = cluster.informer("namespaces");
    const configMaps = cluster.informer("configmaps");
    const publisher = newRootCAPublisher({ namespaces, configMaps, client: cluster, rootCA: CA, clock, log });
    await Promise.all([namespaces.start(), configMaps.start()]);
    const stop = new AbortController();
    stops.push(stop);
    void publisher.run(stop.signal);
    return { namespaces, configMaps };
  }
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await cluster.idle();
      await new Promise<void>((r) => setImmediate(r));
    }
  };
  const published = (ns: string) => cluster.peek("configmaps", ns, "kube-root-ca.crt");

  it("publishes kube-root-ca.crt in existing and new namespaces", async () => {
    await cluster.admin.create("namespaces", namespace("a"));
    await start();
    await cluster.admin.create("namespaces", namespace("b"));
    await eventually(() => published("a") !== undefined && published("b") !== undefined);
    expect(published("b")?.data).toEqual({ "ca.crt": CA });
    expect(published("b")?.metadata?.annotations).toEqual({ "kubernetes.io/description": DESCRIPTION });
  });

  it("restores it when deleted, with a new uid", async () => {
    await cluster.admin.create("namespaces", namespace("a"));
    await start();
    await eventually(() => published("a") !== undefined);
    const uid = published("a")?.metadata?.uid;
    await cluster.admin.delete("configmaps", "a", "kube-root-ca.crt");
    await eventually(() => published("a") !== undefined);
    expect(published("a")?.metadata?.uid).not.toBe(uid);
  });

  it("restores it when changed: data wholesale, description back, other metadata kept", async () => {
    await cluster.admin.create("namespaces", namespace("a"));
    await start();
    await eventually(() => published("a") !== undefined);
    const cm = published("a")!;
    cm.data = { "ca.crt": "tampered", extra: "x" };
    cm.metadata!.annotations = { mine: "yes" };
    await cluster.admin.update("configmaps", cm);
    await eventually(() => published("a")?.data["ca.crt"] === CA);
    await settle();
    expect(published("a")?.data).toEqual({ "ca.crt": CA });
    expect(published("a")?.metadata?.annotations).toEqual({
      mine: "yes",
      "kubernetes.io/description": DESCRIPTION,
    });
    expect(cluster.callsOf("update")).toEqual(["configmaps a/kube-root-ca.crt"]);
  });

  it("ignores other ConfigMaps", async () => {
    await cluster.admin.create("namespaces", namespace("a"));
    await start();
    await eventually(() => published("a") !== undefined);
    await settle();
    const other = await cluster.admin.create(
      "configmaps",
      create(corev1.ConfigMapSchema, { metadata: { name: "app", namespace: "a" }, data: { k: "v" } }),
    );
    other.data = { k: "changed" };
    await cluster.admin.update("configmaps", other);
    await cluster.admin.delete("configmaps", "a", "app");
    await settle();
    expect(cluster.callsOf("create")).toEqual(["configmaps a/kube-root-ca.crt"]);
    expect(cluster.callsOf("update")).toEqual([]);
  });

  it("a namespace already terminating: the create fails with NamespaceTerminating and is not retried", async () => {
    await cluster.admin.create("namespaces", namespace("going", "Terminating"));
    await start();
    await eventually(() => cluster.callsOf("create").length === 1);
    await clock.advance(60_000);
    await settle();
    expect(cluster.callsOf("create")).toEqual(["configmaps going/kube-root-ca.crt"]);
    expect(published("going")).toBeUndefined();
  });

  it("namespace updates queue the namespace only while it is Active", async () => {
    await cluster.admin.create("namespaces", namespace("a", "Terminating"));
    await start();
    // The add is queued whatever the phase; the create is refused.
    await eventually(() => cluster.callsOf("create").length === 1);
    await settle();
    const ns = await cluster.admin.get("namespaces", "", "a");
    ns.metadata!.labels.touched = "1";
    await cluster.admin.update("namespaces", ns);
    await settle();
    expect(cluster.callsOf("create")).toEqual(["configmaps a/kube-root-ca.crt"]);
    const active = await cluster.admin.get("namespaces", "", "a");
    active.status!.phase = "Active";
    await cluster.admin.update("namespaces", active);
    await eventually(() => published("a") !== undefined);
    expect(cluster.callsOf("create")).toEqual([
      "configmaps a/kube-root-ca.crt",
      "configmaps a/kube-root-ca.crt",
    ]);
  });
});
