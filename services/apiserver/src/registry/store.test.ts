// Create, get, update and the metadata rules of the store, against the real memory store.
import { msFromTime, OptimisticLockErrorMsg } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { formatTraceparent, newTrace, runWithTrace } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import type { AdmissionController } from "./registry.js";
import { serviceAccountStrategy } from "./strategies/service-account.js";
import { anyStrategy } from "./strategy.js";
import { objectFrom } from "./test-objects.js";
import {
  NS,
  namespace,
  PODS,
  pod,
  ROLES,
  role,
  SA,
  SECRETS,
  serviceAccount,
  statusOf,
  T0,
  testRegistry,
  withNamespaces,
} from "./test-registry.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("create and get", () => {
  it("sets uid, creationTimestamp and resourceVersion", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    t.clock.set(T0 + 1500);
    const created = await t.registry.create(t.ctx(), SA, "team", serviceAccount("sa"));
    const meta = created.metadata!;
    expect(meta.uid).toMatch(UUID_V4);
    expect(msFromTime(meta.creationTimestamp)).toBe(T0 + 1000); // whole seconds
    expect(meta.resourceVersion).toBe(String(t.storage.currentRevision()));
    expect(meta.namespace).toBe("team");
    expect(await t.registry.get(SA, "team", "sa")).toEqual(created);
  });
  it("stores protobuf without the resourceVersion", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("sa"));
    const kv = await t.storage.get("/registry/core/serviceaccounts/team/sa");
    expect(kv).toBeDefined();
    const { fromBinary } = await import("@bufbuild/protobuf");
    expect(fromBinary(corev1.ServiceAccountSchema, kv!.value).metadata!.resourceVersion).toBe("");
    expect(await t.storage.get("/registry/core/namespaces/team")).toBeDefined();
  });
  it("answers 404 and 409 with Kubernetes' texts", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    expect((await statusOf(t.registry.get(SA, "team", "x"))).status).toMatchObject({
      code: 404,
      reason: "NotFound",
      message: 'serviceaccounts "x" not found',
    });
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("x"));
    expect(
      (await statusOf(t.registry.create(t.ctx(), SA, "team", serviceAccount("x")))).status,
    ).toMatchObject({
      code: 409,
      reason: "AlreadyExists",
      message: 'serviceaccounts "x" already exists',
    });
  });
  it("rejects invalid objects with 422", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const err = await statusOf(t.registry.create(t.ctx(), SA, "team", serviceAccount("Bad")));
    expect(err.code).toBe(422);
    expect(err.message).toMatch(
      /^ServiceAccount "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain/,
    );
  });
  it("rejects a body namespace that differs from the request", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    expect(
      (await statusOf(t.registry.create(t.ctx(), SA, "team", serviceAccount("x", { namespace: "other" }))))
        .message,
    ).toBe("the namespace of the provided object does not match the namespace sent on the request");
  });
  it("generates names and retries on a collision", async () => {
    let n = 0;
    // The first two names drawn are the same; the third differs.
    const t = testRegistry({ random: () => (n++ < 10 ? 0 : 0.5) });
    await withNamespaces(t, "team");
    const a = await t.registry.create(t.ctx(), SA, "team", serviceAccount("", { generateName: "build-" }));
    const b = await t.registry.create(t.ctx(), SA, "team", serviceAccount("", { generateName: "build-" }));
    expect(a.metadata!.name).toBe("build-bbbbb");
    expect(b.metadata!.name).toBe("build-rrrrr");
  });
  it("gives up after 8 generated names", async () => {
    const t = testRegistry({ random: () => 0 });
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("", { generateName: "x-" }));
    expect(
      (await statusOf(t.registry.create(t.ctx(), SA, "team", serviceAccount("", { generateName: "x-" }))))
        .message,
    ).toBe(
      'serviceaccounts "x-bbbbb" already exists, the server was not able to generate a unique name for the object',
    );
  });
  it("collects warnings", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const ctx = t.ctx();
    await t.registry.create(
      ctx,
      SA,
      "team",
      serviceAccount("sa", { annotations: { "kubernetes.io/enforce-mountable-secrets": "true" } }),
    );
    expect(ctx.warnings).toEqual([
      "metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets",
    ]);
  });
  it("never stores stringData", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const s = objectFrom(corev1.SecretSchema, { metadata: { name: "s" }, stringData: { token: "abc" } });
    const created = (await t.registry.create(t.ctx(), SECRETS, "team", s)) as corev1.Secret;
    expect([Buffer.from(created.data.token!).toString(), created.stringData, created.type]).toEqual([
      "abc",
      {},
      "Opaque",
    ]);
  });
});

describe("namespace lifecycle on create", () => {
  it("404 for a missing namespace", async () => {
    const t = testRegistry();
    expect(
      (await statusOf(t.registry.create(t.ctx(), SA, "nope", serviceAccount("sa")))).status,
    ).toMatchObject({
      code: 404,
      message: 'namespaces "nope" not found',
    });
  });
  it("403 while the namespace is terminating", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    await t.registry.delete(t.ctx(), NS, "", "team");
    const err = await statusOf(t.registry.create(t.ctx(), SA, "team", serviceAccount("sa")));
    expect(err.status).toMatchObject({
      code: 403,
      reason: "Forbidden",
      message:
        'serviceaccounts "sa" is forbidden: unable to create new content in namespace team because it is being terminated',
      details: {
        causes: [
          {
            reason: "NamespaceTerminating",
            message: "namespace team is being terminated",
            field: "metadata.namespace",
          },
        ],
      },
    });
  });
});

describe("update", () => {
  const setup = async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const created = await t.registry.create(t.ctx(), SA, "team", serviceAccount("sa"));
    return { t, created };
  };
  it("writes with the current resourceVersion", async () => {
    const { t, created } = await setup();
    const next = serviceAccount("sa", {
      resourceVersion: created.metadata!.resourceVersion,
      labels: { a: "b" },
    });
    const updated = await t.registry.update(t.ctx(), SA, "team", "sa", next);
    expect(updated.metadata!.labels).toEqual({ a: "b" });
    expect(Number(updated.metadata!.resourceVersion)).toBeGreaterThan(
      Number(created.metadata!.resourceVersion),
    );
    expect(updated.metadata!.uid).toBe(created.metadata!.uid);
  });
  it("409 for a stale resourceVersion", async () => {
    const { t, created } = await setup();
    const rv = created.metadata!.resourceVersion;
    await t.registry.update(
      t.ctx(),
      SA,
      "team",
      "sa",
      serviceAccount("sa", { resourceVersion: rv, labels: { v: "1" } }),
    );
    const err = await statusOf(
      t.registry.update(
        t.ctx(),
        SA,
        "team",
        "sa",
        serviceAccount("sa", { resourceVersion: rv, labels: { v: "2" } }),
      ),
    );
    expect(err.status).toMatchObject({
      code: 409,
      reason: "Conflict",
      message: `Operation cannot be fulfilled on serviceaccounts "sa": ${OptimisticLockErrorMsg}`,
    });
    expect(OptimisticLockErrorMsg).toBe(
      "the object has been modified; please apply your changes to the latest version and try again",
    );
  });
  it("accepts an unconditional ServiceAccount update (reference §8.2)", async () => {
    const { t } = await setup();
    const updated = await t.registry.update(
      t.ctx(),
      SA,
      "team",
      "sa",
      serviceAccount("sa", {}, { automountServiceAccountToken: false }),
    );
    expect((updated as corev1.ServiceAccount).automountServiceAccountToken).toBe(false);
  });
  it("requires a resourceVersion where the strategy says so", async () => {
    const t = testRegistry({
      strategies: {
        serviceAccount: anyStrategy({ ...serviceAccountStrategy, allowUnconditionalUpdate: false }),
      },
    });
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("sa"));
    expect((await statusOf(t.registry.update(t.ctx(), SA, "team", "sa", serviceAccount("sa")))).message).toBe(
      'ServiceAccount "sa" is invalid: metadata.resourceVersion: Invalid value: "": must be specified for an update',
    );
  });
  it("404 for a PUT of a missing ServiceAccount, create for a missing Role", async () => {
    const { t } = await setup();
    expect(
      (await statusOf(t.registry.update(t.ctx(), SA, "team", "nope", serviceAccount("nope")))).message,
    ).toBe('serviceaccounts "nope" not found');
    const created = await t.registry.update(t.ctx(), ROLES, "team", "r", role("r"));
    expect(created.metadata!.uid).toMatch(UUID_V4);
  });
  it("replace says whether the PUT created the object (201) or updated it (200)", async () => {
    const { t } = await setup();
    const first = await t.registry.replace(t.ctx(), ROLES, "team", "r2", role("r2"));
    expect(first.created).toBe(true);
    const second = await t.registry.replace(t.ctx(), ROLES, "team", "r2", role("r2"));
    expect([second.created, second.object.metadata!.uid]).toEqual([false, first.object.metadata!.uid]);
  });
  it("repairs metadata the client may not change (reference §8.3)", async () => {
    const { t, created } = await setup();
    const next = serviceAccount("sa", { uid: "", creationTimestamp: null, generation: 7 });
    const updated = await t.registry.update(t.ctx(), SA, "team", "sa", next);
    expect([
      updated.metadata!.uid,
      updated.metadata!.creationTimestamp,
      updated.metadata!.generation,
    ]).toEqual([created.metadata!.uid, created.metadata!.creationTimestamp, 0n]);
    expect(
      (await statusOf(t.registry.update(t.ctx(), SA, "team", "sa", serviceAccount("sa", { uid: "other" }))))
        .message,
    ).toBe('ServiceAccount "sa" is invalid: metadata.uid: Invalid value: "other": field is immutable');
  });
  it("writes nothing for a no-op update", async () => {
    const { t, created } = await setup();
    const before = t.storage.currentRevision();
    const same = await t.registry.update(t.ctx(), SA, "team", "sa", serviceAccount("sa"));
    expect([t.storage.currentRevision(), same.metadata!.resourceVersion]).toEqual([
      before,
      created.metadata!.resourceVersion,
    ]);
  });
  it("rejects a body name that differs from the URL", async () => {
    const { t } = await setup();
    expect(
      (await statusOf(t.registry.update(t.ctx(), SA, "team", "sa", serviceAccount("other")))).message,
    ).toBe("the name of the object (other) does not match the name on the URL (sa)");
  });
  it("guaranteedUpdate retries a write that lost a race", async () => {
    const { t } = await setup();
    let calls = 0;
    const result = await t.registry.guaranteedUpdate(t.ctx(), SA, "team", "sa", async (cur) => {
      calls++;
      if (calls === 1) {
        // Someone else writes between our read and our write.
        await t.registry.update(t.ctx(), SA, "team", "sa", serviceAccount("sa", { labels: { other: "x" } }));
      }
      cur.metadata!.labels.mine = "y";
      return cur;
    });
    expect(calls).toBe(2);
    expect(result.metadata!.labels).toEqual({ other: "x", mine: "y" });
  });
  it("dry run writes nothing", async () => {
    const { t, created } = await setup();
    const before = t.storage.currentRevision();
    const ctx = t.ctx();
    const dry = await t.registry.create(ctx, SA, "team", serviceAccount("dry"), { dryRun: true });
    expect(dry.metadata!.uid).toMatch(UUID_V4);
    const upd = await t.registry.update(ctx, SA, "team", "sa", serviceAccount("sa", { labels: { a: "b" } }), {
      dryRun: true,
    });
    expect(upd.metadata!.labels).toEqual({ a: "b" });
    const del = await t.registry.delete(ctx, SA, "team", "sa", { dryRun: true });
    expect(del.finished).toBe(true);
    expect(t.storage.currentRevision()).toBe(before);
    expect(await t.registry.get(SA, "team", "sa")).toEqual(created);
    expect((await statusOf(t.registry.get(SA, "team", "dry"))).code).toBe(404);
    expect(
      (await statusOf(t.registry.create(ctx, SA, "team", serviceAccount("sa"), { dryRun: true }))).code,
    ).toBe(409);
  });
});

describe("status subresource", () => {
  it("main updates keep the status, status updates keep the spec", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), PODS, "team", pod("p", { nodeName: "n1" }));
    const withStatus = pod("p", { nodeName: "n1", serviceAccountName: "ignored" });
    withStatus.status = objectFrom(corev1.PodStatusSchema, { phase: "Running", podIP: "10.0.0.5" });
    const afterStatus = (await t.registry.update(t.ctx(), PODS, "team", "p", withStatus, {
      subresource: "status",
    })) as corev1.Pod;
    expect([afterStatus.status!.phase, afterStatus.spec!.serviceAccountName]).toEqual(["Running", ""]);
    const main = pod("p", { nodeName: "n1", containers: [{ name: "c", image: "busybox:1.37" }] });
    main.status = objectFrom(corev1.PodStatusSchema, { phase: "Failed" });
    const afterMain = (await t.registry.update(t.ctx(), PODS, "team", "p", main)) as corev1.Pod;
    expect([
      afterMain.status!.phase,
      afterMain.spec!.containers[0]!.image,
      afterMain.metadata!.generation,
    ]).toEqual(["Running", "busybox:1.37", 2n]);
  });
  it("404 for an unknown subresource", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("sa"));
    expect(
      (
        await statusOf(
          t.registry.update(t.ctx(), SA, "team", "sa", serviceAccount("sa"), { subresource: "status" }),
        )
      ).code,
    ).toBe(404);
  });
});

describe("admission", () => {
  it("runs between defaulting and validation and may mutate", async () => {
    const seen: string[] = [];
    const admission: AdmissionController = {
      async admit(req) {
        seen.push(`${req.operation} ${req.info.resource} ${req.namespace}/${req.name} ${req.user.username}`);
        if (req.info.resource === "pods") (req.object as corev1.Pod).spec!.serviceAccountName = "default";
        return req.object;
      },
    };
    const t = testRegistry({ admission });
    await withNamespaces(t, "team");
    const p = (await t.registry.create(t.ctx(), PODS, "team", pod("p"))) as corev1.Pod;
    // Defaulting ran again after admission: the deprecated alias follows.
    expect([p.spec!.serviceAccountName, p.spec!.serviceAccount]).toEqual(["default", "default"]);
    expect(seen).toEqual(["CREATE namespaces /team system:apiserver", "CREATE pods team/p system:apiserver"]);
  });
  it("a refusal stops the write", async () => {
    const t = testRegistry({
      admission: {
        async admit(req) {
          if (req.info.resource === "pods") {
            const { newForbidden } = await import("@tokenplane/apimachinery");
            throw newForbidden(
              { group: "", resource: "pods" },
              req.name,
              'error looking up service account team/default: serviceaccount "default" not found',
            );
          }
          return req.object;
        },
      },
    });
    await withNamespaces(t, "team");
    expect((await statusOf(t.registry.create(t.ctx(), PODS, "team", pod("p")))).message).toBe(
      'pods "p" is forbidden: error looking up service account team/default: serviceaccount "default" not found',
    );
    expect((await statusOf(t.registry.get(PODS, "team", "p"))).code).toBe(404);
  });
});

describe("cluster-scoped kinds", () => {
  it("drop a body namespace and live under the resource prefix", async () => {
    const t = testRegistry();
    const ns = namespace("team");
    ns.metadata!.namespace = "ignored";
    const created = (await t.registry.create(t.ctx(), NS, "", ns)) as corev1.Namespace;
    expect([created.metadata!.namespace, created.status!.phase, created.spec!.finalizers]).toEqual([
      "",
      "Active",
      ["kubernetes"],
    ]);
    expect(created.metadata!.labels).toEqual({ "kubernetes.io/metadata.name": "team" });
  });
});

describe("the writer's trace", () => {
  it("records the running trace's traceparent with every write, and nothing outside a trace", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team"); // outside a trace
    const trace = newTrace();
    const tp = formatTraceparent(trace);
    await runWithTrace(trace, async () => {
      // create; update; delete that marks (finalizer); update that empties the finalizers (deletes)
      await t.registry.create(
        t.ctx(),
        SA,
        "team",
        serviceAccount("held", { finalizers: ["example.com/hold"] }),
      );
      await t.registry.update(
        t.ctx(),
        SA,
        "team",
        "held",
        serviceAccount("held", { labels: { a: "b" }, finalizers: ["example.com/hold"] }),
      );
      await t.registry.delete(t.ctx(), SA, "team", "held");
      await t.registry.update(t.ctx(), SA, "team", "held", serviceAccount("held", { labels: { a: "b" } }));
      // create and a delete that removes at once
      await t.registry.create(t.ctx(), SA, "team", serviceAccount("gone"));
      await t.registry.delete(t.ctx(), SA, "team", "gone");
    });
    const ac = new AbortController();
    const events: [number, string, string, string | undefined][] = [];
    for await (const e of t.storage.watch("", 0, ac.signal)) {
      events.push([e.revision, e.type, e.kv.key.split("/").at(-1)!, e.traceparent]);
      if (e.revision === t.storage.currentRevision()) ac.abort();
    }
    expect(events).toEqual([
      [1, "put", "team", undefined],
      [2, "put", "held", tp],
      [3, "put", "held", tp],
      [4, "put", "held", tp],
      [5, "delete", "held", tp],
      [6, "put", "gone", tp],
      [7, "delete", "gone", tp],
    ]);
  });
});
