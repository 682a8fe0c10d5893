import { create } from "@bufbuild/protobuf";
import { generateSigningKey } from "@tokenplane/crypto";
import { corev1 } from "@tokenplane/proto";
import { createLogger, createMetrics, FakeClock } from "@tokenplane/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { enabledControllers } from "./config.js";
import { type ControllerManager, createControllerManager } from "./controller-manager.js";
import { eventually, FakeCluster } from "./testing/fake-cluster.js";

const log = createLogger({ service: "test", level: "silent", pretty: false });
const CA = new TextEncoder().encode("-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n");

describe("controller manager", () => {
  const managers: ControllerManager[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.stop();
  });

  function manager(
    cluster: FakeCluster,
    clock: FakeClock,
    options: { key?: boolean; controllers?: string[] } = {},
  ) {
    const registry = createMetrics({ service: "test", defaultMetrics: false });
    const m = createControllerManager({
      client: cluster,
      nats: {} as never,
      clock,
      log,
      metrics: registry,
      controllers: enabledControllers(options.controllers ?? ["*"]),
      signingKey: options.key === false ? undefined : generateSigningKey("ES256"),
      rootCA: CA,
      tokenSyncWorkers: 5,
      cleanUpPeriodMs: 365 * 24 * 3600 * 1000,
      cleanerSyncIntervalMs: 24 * 3600 * 1000,
      minResyncPeriodMs: 0,
      informerFactory: (resource) => cluster.informer(resource),
    });
    managers.push(m);
    return { m, registry };
  }

  it("runs all four controllers on shared informers once they have synced", async () => {
    const clock = new FakeClock(0);
    const cluster = new FakeCluster(clock);
    await cluster.admin.create("namespaces", create(corev1.NamespaceSchema, { metadata: { name: "a" } }));
    const { m, registry } = manager(cluster, clock);
    expect(m.controllers).toEqual([
      "serviceaccount-controller",
      "serviceaccount-token-controller",
      "root-ca-certificate-publisher-controller",
      "legacy-serviceaccount-token-cleaner-controller",
    ]);
    expect(m.ready()).toBe(false);
    await m.start();
    expect(m.ready()).toBe(true);
    await eventually(
      () =>
        cluster.peek("serviceaccounts", "a", "default") !== undefined &&
        cluster.peek("configmaps", "a", "kube-root-ca.crt") !== undefined,
    );
    await cluster.admin.create(
      "secrets",
      create(corev1.SecretSchema, {
        metadata: {
          name: "t",
          namespace: "a",
          annotations: { "kubernetes.io/service-account.name": "default" },
        },
        type: "kubernetes.io/service-account-token",
      }),
    );
    await eventually(() => (cluster.peek("secrets", "a", "t")?.data.token?.length ?? 0) > 0);
    const text = await registry.metrics();
    expect(text).toContain('workqueue_adds_total{name="serviceaccount",service="test"}');
    expect(text).toContain('workqueue_adds_total{name="root_ca_cert_publisher",service="test"}');
    expect(text).toContain('workqueue_adds_total{name="serviceaccount_tokens_secret",service="test"}');
    expect(text).toContain('workqueue_adds_total{name="serviceaccount_tokens_service",service="test"}');
  });

  it("leaves the tokens controller out without a private key, and obeys --controllers", async () => {
    const clock = new FakeClock(0);
    const cluster = new FakeCluster(clock);
    expect(manager(cluster, clock, { key: false }).m.controllers).not.toContain(
      "serviceaccount-token-controller",
    );
    expect(manager(cluster, clock, { controllers: ["serviceaccount"] }).m.controllers).toEqual([
      "serviceaccount-controller",
    ]);
  });
});
