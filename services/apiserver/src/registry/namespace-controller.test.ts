// The namespace controller against the real memory store, with a fake clock for its retries.

import { corev1 } from "@tokenplane/proto";
import { createLogger } from "@tokenplane/runtime";
import { afterEach, describe, expect, it } from "vitest";
import {
  ensureSystemNamespaces,
  type NamespaceController,
  startNamespaceController,
} from "./namespace-controller.js";
import { objectFrom } from "./test-objects.js";
import {
  CONFIGMAPS,
  NS,
  PODS,
  pod,
  SA,
  serviceAccount,
  statusOf,
  type TestRegistry,
  testRegistry,
  withNamespaces,
} from "./test-registry.js";

const log = createLogger({ service: "test", level: "silent" });
const running: NamespaceController[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

function start(t: TestRegistry): NamespaceController {
  const c = startNamespaceController({
    registry: t.registry,
    storage: t.storage,
    clock: t.clock,
    log,
    retryIntervalMs: 1000,
  });
  running.push(c);
  return c;
}

/** Polls (real time) until `check` passes. */
async function eventually(check: () => Promise<void>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

const gone = async (p: Promise<unknown>) => expect((await statusOf(p)).code).toBe(404);

describe("namespace controller", () => {
  it("empties a terminating namespace, waits for graceful pods, then removes it", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team", "keep");
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("sa"));
    await t.registry.create(
      t.ctx(),
      CONFIGMAPS,
      "team",
      objectFrom(corev1.ConfigMapSchema, { metadata: { name: "cm" } }),
    );
    await t.registry.create(t.ctx(), PODS, "team", pod("running", { nodeName: "node-1" }));
    await t.registry.create(t.ctx(), SA, "keep", serviceAccount("sa"));
    start(t);
    await t.registry.delete(t.ctx(), NS, "", "team");

    await eventually(async () => {
      await gone(t.registry.get(SA, "team", "sa"));
      await gone(t.registry.get(CONFIGMAPS, "team", "cm"));
      // The scheduled pod is being deleted gracefully, so the namespace stays.
      expect((await t.registry.get(PODS, "team", "running")).metadata!.deletionTimestamp).toBeDefined();
    });
    expect((await t.registry.get(NS, "", "team")).metadata!.name).toBe("team");

    // The node confirms the pod's end; the next check finalizes the namespace.
    await t.registry.delete(t.ctx(), PODS, "team", "running", { gracePeriodSeconds: 0 });
    await t.clock.advance(1000);
    await eventually(() => gone(t.registry.get(NS, "", "team")));
    // Other namespaces are untouched.
    expect((await t.registry.get(SA, "keep", "sa")).metadata!.name).toBe("sa");
  });
  it("finishes a deletion that was under way when it started", async () => {
    const t = testRegistry();
    await withNamespaces(t, "old");
    await t.registry.create(t.ctx(), SA, "old", serviceAccount("sa"));
    await t.registry.delete(t.ctx(), NS, "", "old");
    start(t);
    await eventually(() => gone(t.registry.get(NS, "", "old")));
    await gone(t.registry.get(SA, "old", "sa"));
  });
  it("keeps a namespace that other finalizers hold", async () => {
    const t = testRegistry();
    await t.registry.create(
      t.ctx(),
      NS,
      "",
      objectFrom(corev1.NamespaceSchema, { metadata: { name: "held", finalizers: ["example.com/hold"] } }),
    );
    start(t);
    await t.registry.delete(t.ctx(), NS, "", "held");
    await eventually(async () => {
      const ns = (await t.registry.get(NS, "", "held")) as corev1.Namespace;
      expect(ns.spec!.finalizers).toEqual([]);
    });
    expect(((await t.registry.get(NS, "", "held")) as corev1.Namespace).status!.phase).toBe("Terminating");
  });
  it("stops cleanly", async () => {
    const t = testRegistry();
    const c = startNamespaceController({ registry: t.registry, storage: t.storage, clock: t.clock, log });
    await c.stop();
  });
});

describe("ensureSystemNamespaces", () => {
  it("creates the four system namespaces once", async () => {
    const t = testRegistry();
    await withNamespaces(t, "default");
    await ensureSystemNamespaces(t.registry);
    await ensureSystemNamespaces(t.registry);
    const { items } = await t.registry.list(NS, "");
    expect(items.map((n) => [n.metadata!.name, (n as corev1.Namespace).status!.phase])).toEqual([
      ["default", "Active"],
      ["kube-node-lease", "Active"],
      ["kube-public", "Active"],
      ["kube-system", "Active"],
    ]);
  });
});
