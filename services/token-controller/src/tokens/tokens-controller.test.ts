import { create } from "@bufbuild/protobuf";
import { newConflict, newInternalError } from "@tokenplane/apimachinery";
import { createKeySet, generateSigningKey, verifyToken } from "@tokenplane/crypto";
import { corev1 } from "@tokenplane/proto";
import { createLogger, FakeClock } from "@tokenplane/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ObjectClient } from "../client/object-client.js";
import { eventually, FakeCluster } from "../testing/fake-cluster.js";
import { legacyTokenGenerator } from "./legacy-token-generator.js";
import { newTokensController } from "./tokens-controller.js";

const log = createLogger({ service: "test", level: "silent", pretty: false });
const key = generateSigningKey("ES256");
const CA = new TextEncoder().encode("-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n");
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

const tokenSecret = (name: string, saName: string, saUID?: string) =>
  create(corev1.SecretSchema, {
    metadata: {
      name,
      namespace: "ns",
      annotations: {
        "kubernetes.io/service-account.name": saName,
        ...(saUID === undefined ? {} : { "kubernetes.io/service-account.uid": saUID }),
      },
    },
    type: "kubernetes.io/service-account-token",
  });
const serviceAccount = (name: string, secrets: string[] = []) =>
  create(corev1.ServiceAccountSchema, {
    metadata: { name, namespace: "ns" },
    secrets: secrets.map((n) => ({ name: n })),
  });

describe("tokens controller (reference §4.2)", () => {
  let clock: FakeClock;
  let cluster: FakeCluster;
  const stops: AbortController[] = [];
  beforeEach(async () => {
    clock = new FakeClock(Date.UTC(2024, 5, 1));
    cluster = new FakeCluster(clock);
    await cluster.admin.create("namespaces", create(corev1.NamespaceSchema, { metadata: { name: "ns" } }));
  });
  afterEach(() => {
    for (const s of stops.splice(0)) s.abort();
  });

  async function start(client: ObjectClient = cluster, extra: { generateToken?: () => string } = {}) {
    const serviceAccounts = cluster.informer("serviceaccounts");
    const secrets = cluster.informer("secrets");
    const controller = newTokensController({
      serviceAccounts,
      secrets,
      client,
      generateToken: extra.generateToken ?? legacyTokenGenerator(key),
      rootCA: CA,
      clock,
      log,
      workers: 2,
      random: () => 0.5,
    });
    await Promise.all([serviceAccounts.start(), secrets.start()]);
    const stop = new AbortController();
    stops.push(stop);
    void controller.run(stop.signal);
    return { serviceAccounts, secrets };
  }
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await cluster.idle();
      await new Promise<void>((r) => setImmediate(r));
    }
  };

  it("fills a new token Secret once: token, ca.crt, namespace and the uid annotation", async () => {
    const sa = await cluster.admin.create("serviceaccounts", serviceAccount("ro"));
    await start();
    await cluster.admin.create("secrets", tokenSecret("ro-token", "ro"));
    await eventually(() => (cluster.peek("secrets", "ns", "ro-token")?.data.token?.length ?? 0) > 0);
    await settle();
    const s = cluster.peek("secrets", "ns", "ro-token")!;
    expect(cluster.callsOf("update")).toEqual(["secrets ns/ro-token"]);
    expect(dec(s.data["ca.crt"])).toBe(dec(CA));
    expect(dec(s.data.namespace)).toBe("ns");
    expect(s.metadata?.annotations).toEqual({
      "kubernetes.io/service-account.name": "ro",
      "kubernetes.io/service-account.uid": sa.metadata?.uid,
    });
    const verified = verifyToken(dec(s.data.token)!, createKeySet([key]));
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.header).toEqual({ alg: "ES256", kid: key.kid });
    expect(verified.payload).toEqual({
      iss: "kubernetes/serviceaccount",
      sub: "system:serviceaccount:ns:ro",
      "kubernetes.io/serviceaccount/namespace": "ns",
      "kubernetes.io/serviceaccount/secret.name": "ro-token",
      "kubernetes.io/serviceaccount/service-account.name": "ro",
      "kubernetes.io/serviceaccount/service-account.uid": sa.metadata?.uid,
    });
  });

  it("fills token Secrets that existed before it started", async () => {
    await cluster.admin.create("serviceaccounts", serviceAccount("ro"));
    await cluster.admin.create("secrets", tokenSecret("t1", "ro"));
    await cluster.admin.create("secrets", tokenSecret("t2", "ro"));
    await start();
    await eventually(() => cluster.callsOf("update").length === 2);
    await settle();
    expect(cluster.callsOf("update").sort()).toEqual(["secrets ns/t1", "secrets ns/t2"]);
  });

  it("deletes a token Secret whose service account does not exist (after a live read)", async () => {
    await start();
    const s = await cluster.admin.create("secrets", tokenSecret("ghost-token", "ghost"));
    await eventually(() => cluster.peek("secrets", "ns", "ghost-token") === undefined);
    expect(cluster.callsOf("get")).toEqual(["serviceaccounts ns/ghost"]);
    expect(cluster.callsOf("delete")).toEqual(["secrets ns/ghost-token"]);
    expect(s.metadata?.uid).toBeTruthy();
  });

  it("deletes a token Secret whose uid annotation names another service account", async () => {
    await cluster.admin.create("serviceaccounts", serviceAccount("ro"));
    await start();
    await cluster.admin.create("secrets", tokenSecret("stale", "ro", "uid-of-an-old-ro"));
    await eventually(() => cluster.peek("secrets", "ns", "stale") === undefined);
    expect(cluster.callsOf("update")).toEqual([]);
  });

  it("deletes the service account's token Secrets when it is deleted, and only those", async () => {
    await cluster.admin.create("serviceaccounts", serviceAccount("ro"));
    await cluster.admin.create("serviceaccounts", serviceAccount("rw"));
    await start();
    for (const s of [tokenSecret("ro-1", "ro"), tokenSecret("ro-2", "ro"), tokenSecret("rw-1", "rw")]) {
      await cluster.admin.create("secrets", s);
    }
    await cluster.admin.create(
      "secrets",
      create(corev1.SecretSchema, {
        metadata: {
          name: "opaque",
          namespace: "ns",
          annotations: { "kubernetes.io/service-account.name": "ro" },
        },
        type: "Opaque",
      }),
    );
    await eventually(() => cluster.callsOf("update").length === 3);
    await settle();
    await cluster.admin.delete("serviceaccounts", "ns", "ro");
    await eventually(() => cluster.peek("secrets", "ns", "ro-2") === undefined);
    await settle();
    expect(cluster.callsOf("delete").sort()).toEqual(["secrets ns/ro-1", "secrets ns/ro-2"]);
    expect(cluster.peek("secrets", "ns", "rw-1")).toBeDefined();
    expect(cluster.peek("secrets", "ns", "opaque")).toBeDefined();
  });

  it("a Secret re-created under the same name survives a stale delete (uid precondition)", async () => {
    await start();
    // The controller sees "x" without a service account and deletes it with its uid; meanwhile
    // it was replaced. The fake fails the first delete as the apiserver would: Conflict.
    cluster.failNext(
      "delete",
      "secrets",
      newConflict(
        { group: "", resource: "secrets" },
        "x",
        "Precondition failed: UID in precondition: a, UID in object meta: b",
      ),
    );
    await cluster.admin.create("secrets", tokenSecret("x", "ghost"));
    await eventually(() => cluster.callsOf("delete").length === 1);
    await clock.advance(60_000);
    await settle();
    // Conflict is not retried.
    expect(cluster.callsOf("delete")).toEqual(["secrets ns/x"]);
    expect(cluster.peek("secrets", "ns", "x")).toBeDefined();
  });

  it("removes a deleted Secret from sa.secrets, retrying on conflict", async () => {
    await cluster.admin.create("serviceaccounts", serviceAccount("ro", ["ro-token", "keep"]));
    await cluster.admin.create("secrets", tokenSecret("ro-token", "ro"));
    await start();
    await eventually(() => cluster.callsOf("update").length === 1);
    cluster.failNext(
      "update",
      "serviceaccounts",
      newConflict({ group: "", resource: "serviceaccounts" }, "ro", "the object has been modified"),
    );
    await cluster.admin.delete("secrets", "ns", "ro-token");
    await eventually(() => cluster.peek("serviceaccounts", "ns", "ro")?.secrets.length === 1, {
      advance: { clock, stepMs: 50 },
    });
    expect(cluster.peek("serviceaccounts", "ns", "ro")?.secrets.map((s) => s.name)).toEqual(["keep"]);
    expect(cluster.callsOf("update")).toEqual([
      "secrets ns/ro-token",
      "serviceaccounts ns/ro",
      "serviceaccounts ns/ro",
    ]);
  });

  it("skips when the live Secret is newer than the cache, and fills it on the next event", async () => {
    await cluster.admin.create("serviceaccounts", serviceAccount("ro"));
    let bumped = false;
    // The first live read of the Secret happens after someone else labelled it.
    const client: ObjectClient = {
      get: async (r, ns, n) => {
        if (r === "secrets" && !bumped) {
          bumped = true;
          const live = await cluster.admin.get("secrets", ns, n);
          live.metadata!.labels.touched = "yes";
          await cluster.admin.update("secrets", live);
        }
        return cluster.get(r, ns, n);
      },
      list: (r, ns) => cluster.list(r, ns),
      create: (r, o) => cluster.create(r, o),
      update: (r, o) => cluster.update(r, o),
      mergePatch: (r, ns, n, p) => cluster.mergePatch(r, ns, n, p),
      delete: (r, ns, n, p) => cluster.delete(r, ns, n, p),
    };
    await start(client);
    await cluster.admin.create("secrets", tokenSecret("ro-token", "ro"));
    await eventually(() => (cluster.peek("secrets", "ns", "ro-token")?.data.token?.length ?? 0) > 0);
    await settle();
    expect(cluster.callsOf("get")).toEqual(["secrets ns/ro-token", "secrets ns/ro-token"]);
    expect(cluster.callsOf("update")).toEqual(["secrets ns/ro-token"]);
    expect(cluster.peek("secrets", "ns", "ro-token")?.metadata?.labels).toEqual({ touched: "yes" });
  });

  it("retries a failed update with back-off, then gives up after 10 retries", async () => {
    await cluster.admin.create("serviceaccounts", serviceAccount("ro"));
    cluster.failNext("update", "secrets", newInternalError(new Error("disk full")), 100);
    await start();
    await cluster.admin.create("secrets", tokenSecret("ro-token", "ro"));
    await eventually(() => cluster.callsOf("update").length >= 11, { advance: { clock, stepMs: 1_000 } });
    await clock.advance(3_600_000);
    await settle();
    // One try and 10 retries.
    expect(cluster.callsOf("update").length).toBe(11);
  });

  it("does not retry when signing fails, and ignores token Secrets without a service account name", async () => {
    await cluster.admin.create("serviceaccounts", serviceAccount("ro"));
    await start(cluster, {
      generateToken: () => {
        throw new Error("no key");
      },
    });
    await cluster.admin.create("secrets", tokenSecret("ro-token", "ro"));
    await cluster.admin.create("secrets", tokenSecret("nameless", ""));
    await eventually(() => cluster.callsOf("get").length === 1);
    await clock.advance(60_000);
    await settle();
    expect(cluster.calls.map((c) => `${c.verb} ${c.resource} ${c.name}`)).toEqual(["get secrets ro-token"]);
  });
});
