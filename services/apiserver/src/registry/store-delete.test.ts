// Deletion: graceful pod deletion on a fake clock, finalizers, preconditions, namespaces.
import { msFromTime } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import {
  NS,
  PODS,
  pod,
  SA,
  serviceAccount,
  statusOf,
  T0,
  testRegistry,
  withNamespaces,
} from "./test-registry.js";

const deletion = (o: { metadata?: corev1.Pod["metadata"] }) => ({
  at: msFromTime(o.metadata?.deletionTimestamp),
  grace: o.metadata?.deletionGracePeriodSeconds,
});

describe("pod graceful deletion", () => {
  it("follows Kubernetes' timeline", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), PODS, "team", pod("p", { nodeName: "node-1" }));

    // First delete: marked with the pod's own 30 s.
    const first = await t.registry.delete(t.ctx(), PODS, "team", "p");
    expect([first.finished, deletion(first.object)]).toEqual([false, { at: T0 + 30_000, grace: 30n }]);

    // A later delete may only shorten it, counted from the original start.
    await t.clock.advance(5_000);
    const longer = await t.registry.delete(t.ctx(), PODS, "team", "p", { gracePeriodSeconds: 60 });
    expect([longer.finished, deletion(longer.object), longer.object.metadata!.resourceVersion]).toEqual([
      false,
      { at: T0 + 30_000, grace: 30n },
      first.object.metadata!.resourceVersion,
    ]);
    const shorter = await t.registry.delete(t.ctx(), PODS, "team", "p", { gracePeriodSeconds: 10 });
    expect([shorter.finished, deletion(shorter.object)]).toEqual([false, { at: T0 + 10_000, grace: 10n }]);

    // The node confirms with grace 0: gone.
    const last = await t.registry.delete(t.ctx(), PODS, "team", "p", { gracePeriodSeconds: 0 });
    expect(last.finished).toBe(true);
    expect((await statusOf(t.registry.get(PODS, "team", "p"))).message).toBe('pods "p" not found');
  });
  it("removes an unscheduled pod at once", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), PODS, "team", pod("p"));
    expect((await t.registry.delete(t.ctx(), PODS, "team", "p")).finished).toBe(true);
    expect((await statusOf(t.registry.get(PODS, "team", "p"))).code).toBe(404);
  });
  it("checks uid and resourceVersion preconditions", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const p = await t.registry.create(t.ctx(), PODS, "team", pod("p", { nodeName: "n" }));
    expect(
      (await statusOf(t.registry.delete(t.ctx(), PODS, "team", "p", { preconditions: { uid: "old" } })))
        .status,
    ).toMatchObject({
      code: 409,
      message: `Operation cannot be fulfilled on Pod "p": the UID in the precondition (old) does not match the UID in record (${p.metadata!.uid}). The object might have been deleted and then recreated`,
    });
    expect(
      (
        await statusOf(
          t.registry.delete(t.ctx(), PODS, "team", "p", { preconditions: { resourceVersion: "1" } }),
        )
      ).message,
    ).toBe(
      `Operation cannot be fulfilled on Pod "p": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${p.metadata!.resourceVersion}). The object might have been modified`,
    );
    const ok = await t.registry.delete(t.ctx(), PODS, "team", "p", {
      preconditions: { uid: p.metadata!.uid },
      gracePeriodSeconds: 0,
    });
    expect(ok.finished).toBe(true);
  });
});

describe("finalizers", () => {
  it("hold an object until an update empties them", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("sa", { finalizers: ["example.com/hold"] }));
    const r = await t.registry.delete(t.ctx(), SA, "team", "sa");
    expect([r.finished, deletion(r.object)]).toEqual([false, { at: T0, grace: 0n }]);
    // Deleting it again writes nothing.
    await t.clock.advance(5000);
    const again = await t.registry.delete(t.ctx(), SA, "team", "sa");
    expect([again.finished, again.object.metadata!.resourceVersion]).toEqual([
      false,
      r.object.metadata!.resourceVersion,
    ]);
    // Finalizers may not be added once deleting.
    const add = serviceAccount("sa", { finalizers: ["example.com/hold", "example.com/more"] });
    expect((await statusOf(t.registry.update(t.ctx(), SA, "team", "sa", add))).message).toBe(
      'ServiceAccount "sa" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/more"}',
    );
    await t.registry.update(
      t.ctx(),
      SA,
      "team",
      "sa",
      serviceAccount("sa", { labels: { still: "here" }, finalizers: ["example.com/hold"] }),
    );
    expect((await t.registry.get(SA, "team", "sa")).metadata!.labels).toEqual({ still: "here" });
    await t.registry.update(t.ctx(), SA, "team", "sa", serviceAccount("sa"));
    expect((await statusOf(t.registry.get(SA, "team", "sa"))).code).toBe(404);
  });
  it("a second create of an object being deleted says so", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("sa", { finalizers: ["example.com/hold"] }));
    await t.registry.delete(t.ctx(), SA, "team", "sa");
    expect((await statusOf(t.registry.create(t.ctx(), SA, "team", serviceAccount("sa")))).message).toBe(
      'object is being deleted: serviceaccounts "sa" already exists',
    );
  });
});

describe("namespace deletion", () => {
  it("marks first, refuses while content remains, removes once finalized", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const first = await t.registry.delete(t.ctx(), NS, "", "team");
    const marked = first.object as corev1.Namespace;
    expect([first.finished, marked.status!.phase, msFromTime(marked.metadata!.deletionTimestamp)]).toEqual([
      false,
      "Terminating",
      T0,
    ]);
    expect((await statusOf(t.registry.delete(t.ctx(), NS, "", "team"))).message).toBe(
      'Operation cannot be fulfilled on namespaces "team": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
    );
    // The namespace controller's finalize: emptying spec.finalizers removes the namespace.
    await t.registry.guaranteedUpdate(
      t.ctx(),
      NS,
      "",
      "team",
      (cur) => {
        (cur as corev1.Namespace).spec!.finalizers = [];
        return cur;
      },
      { subresource: "finalize" },
    );
    expect((await statusOf(t.registry.get(NS, "", "team"))).message).toBe('namespaces "team" not found');
  });
  it("refuses the system namespaces", async () => {
    const t = testRegistry();
    await withNamespaces(t, "kube-system");
    expect((await statusOf(t.registry.delete(t.ctx(), NS, "", "kube-system"))).status).toMatchObject({
      code: 403,
      message: 'namespaces "kube-system" is forbidden: this namespace may not be deleted',
    });
  });
  it("deleteCollection deletes what the selector picks", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    for (const [n, app] of [
      ["a", "x"],
      ["b", "y"],
      ["c", "x"],
    ] as const) {
      await t.registry.create(t.ctx(), SA, "team", serviceAccount(n, { labels: { app } }));
    }
    const { parseLabelSelector } = await import("@tokenplane/apimachinery");
    const sel = parseLabelSelector("app=x");
    if ("error" in sel) throw new Error(sel.error);
    const gone = await t.registry.deleteCollection(t.ctx(), SA, "team", { labelSelector: sel.value });
    expect(gone.map((o) => o.metadata!.name)).toEqual(["a", "c"]);
    expect((await t.registry.list(SA, "team")).items.map((o) => o.metadata!.name)).toEqual(["b"]);
  });
});
