/**
 * The "Configure Service Accounts for Pods" flows through `@kubernetes/client-node` 1.4 — the
 * official JavaScript client, which speaks JSON — against a started stack: service accounts
 * listed, created, read, patched (merge and strategic), replaced and deleted; TokenRequest with
 * duration, audiences and a bound Secret; a token Secret; SelfSubjectReview as the administrator
 * and as a service account; SelfSubjectAccessReview and TokenReview; the issuer's OIDC documents;
 * and a watch. Typed Status errors come back as `ApiException` with Kubernetes' code and body.
 */
import {
  ApiException,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  OpenidApi,
  PatchStrategy,
  setHeaderOptions,
  type V1ServiceAccount,
  VersionApi,
  Watch,
  WellKnownApi,
} from "@kubernetes/client-node";
import { startTestStack, type TestStack } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const namespace = "client-node";
let stack: TestStack;
let kc: KubeConfig;
let core: CoreV1Api;

function runs(name: Parameters<TestStack["process"]>[0]): boolean {
  try {
    return stack.process(name).running();
  } catch {
    return false;
  }
}

/** A KubeConfig that authenticates with a bearer token only. */
function tokenConfig(token: string): KubeConfig {
  const c = new KubeConfig();
  const cluster = kc.getCurrentCluster()!;
  c.loadFromOptions({
    clusters: [{ name: "tokenplane", server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: "sa", token }],
    contexts: [{ name: "sa", cluster: "tokenplane", user: "sa", namespace }],
    currentContext: "sa",
  });
  return c;
}

function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;
}

/** The Status carried by a failed call. */
async function statusOf(call: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) {
      return { code: err.code, body: JSON.parse(String(err.body)) as Record<string, unknown> };
    }
    throw err;
  }
  throw new Error("the call succeeded");
}

async function eventually<T>(fn: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  stack = await startTestStack();
  kc = new KubeConfig();
  kc.loadFromFile(stack.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await stack?.close();
});

describe("@kubernetes/client-node 1.4 against the tokenplane apiserver", () => {
  it("reads the server version", async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe("v1.32.0-tokenplane");
    expect(version.minor).toBe("32");
  });

  it("lists, creates and reads service accounts", async () => {
    if (runs("token-controller")) {
      await eventually(() => core.readNamespacedServiceAccount({ name: "default", namespace }), "default SA");
    } else {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "default" } } });
    }
    const created = await core.createNamespacedServiceAccount({
      namespace,
      body: {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "build-robot", labels: { app: "ci" } },
      },
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const list = await core.listNamespacedServiceAccount({ namespace });
    expect(list.kind).toBe("ServiceAccountList");
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(list.items.map((sa) => sa.metadata?.name).sort()).toEqual(["build-robot", "default"]);
    const selected = await core.listNamespacedServiceAccount({ namespace, labelSelector: "app=ci" });
    expect(selected.items.map((sa) => sa.metadata?.name)).toEqual(["build-robot"]);
    const page = await core.listNamespacedServiceAccount({ namespace, limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.metadata?._continue).toBeTruthy();
    const rest = await core.listNamespacedServiceAccount({
      namespace,
      limit: 1,
      _continue: page.metadata!._continue!,
    });
    expect(rest.items).toHaveLength(1);
    expect(rest.items[0]!.metadata?.name).not.toBe(page.items[0]!.metadata?.name);

    const read = await core.readNamespacedServiceAccount({ name: "build-robot", namespace });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);

    const missing = await statusOf(core.readNamespacedServiceAccount({ name: "nobody", namespace }));
    expect(missing).toEqual({
      code: 404,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: 'serviceaccounts "nobody" not found',
        reason: "NotFound",
        details: { name: "nobody", kind: "serviceaccounts" },
        code: 404,
      },
    });
  });

  it("requests tokens: duration, audiences and a bound Secret", async () => {
    const issuer = stack.apiserverUrl;
    const plain = await core.createNamespacedServiceAccountToken({
      name: "build-robot",
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    expect(plain.kind).toBe("TokenRequest");
    expect(plain.apiVersion).toBe("authentication.k8s.io/v1");
    expect(plain.spec.expirationSeconds).toBe(600);
    expect(plain.status?.expirationTimestamp).toBeInstanceOf(Date);
    const claims = jwtPayload(plain.status!.token);
    expect(claims.sub).toBe(`system:serviceaccount:${namespace}:build-robot`);
    expect(claims.aud).toEqual([issuer]);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(600);

    const secret = await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: "bound" }, stringData: { a: "b" } },
    });
    const bound = await core.createNamespacedServiceAccountToken({
      name: "build-robot",
      namespace,
      body: {
        spec: {
          audiences: ["vault"],
          boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "bound", uid: secret.metadata!.uid! },
        },
      },
    });
    const boundClaims = jwtPayload(bound.status!.token);
    expect(boundClaims.aud).toEqual(["vault"]);
    expect((boundClaims["kubernetes.io"] as Record<string, unknown>).secret).toEqual({
      name: "bound",
      uid: secret.metadata!.uid,
    });
  });

  it("creates a token Secret", async () => {
    const secret = await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: "build-robot-secret",
          annotations: { "kubernetes.io/service-account.name": "build-robot" },
        },
        type: "kubernetes.io/service-account-token",
      },
    });
    expect(secret.type).toBe("kubernetes.io/service-account-token");
    if (runs("token-controller")) {
      const filled = await eventually(async () => {
        const s = await core.readNamespacedSecret({ name: "build-robot-secret", namespace });
        return s.data?.token ? s : undefined;
      }, "the token controller to fill the Secret");
      const token = Buffer.from(filled.data!.token!, "base64").toString("utf8");
      expect(jwtPayload(token).sub).toBe(`system:serviceaccount:${namespace}:build-robot`);
      expect(Buffer.from(filled.data!.namespace!, "base64").toString("utf8")).toBe(namespace);
    }
  });

  it("patches the default service account (merge and strategic merge) and replaces a service account", async () => {
    const merged = await core.patchNamespacedServiceAccount(
      { name: "default", namespace, body: { imagePullSecrets: [{ name: "myregistrykey" }] } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(merged.imagePullSecrets).toEqual([{ name: "myregistrykey" }]);
    const strategic = await core.patchNamespacedServiceAccount(
      { name: "default", namespace, body: { imagePullSecrets: [{ name: "second" }] } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    // imagePullSecrets is an atomic list (no patchMergeKey): a strategic merge patch replaces it
    expect(strategic.imagePullSecrets).toEqual([{ name: "second" }]);
    // secrets merge by name (patchStrategy merge, patchMergeKey name)
    await core.patchNamespacedServiceAccount(
      { name: "default", namespace, body: { secrets: [{ name: "one" }] } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    const both = await core.patchNamespacedServiceAccount(
      { name: "default", namespace, body: { secrets: [{ name: "two" }] } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(both.secrets?.map((s) => s.name)).toEqual(["two", "one"]);

    const current = await core.readNamespacedServiceAccount({ name: "build-robot", namespace });
    const replaced = await core.replaceNamespacedServiceAccount({
      name: "build-robot",
      namespace,
      body: { ...current, automountServiceAccountToken: false } as V1ServiceAccount,
    });
    expect(replaced.automountServiceAccountToken).toBe(false);
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(
      Number(current.metadata?.resourceVersion),
    );
    const stale = await statusOf(
      core.replaceNamespacedServiceAccount({ name: "build-robot", namespace, body: current }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on serviceaccounts "build-robot": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it("answers SelfSubjectReview for the administrator and for a service account token", async () => {
    const authn = kc.makeApiClient(AuthenticationV1Api);
    const admin = await authn.createSelfSubjectReview({ body: {} });
    expect(admin.status?.userInfo?.username).toBe("kubernetes-admin");
    expect(admin.status?.userInfo?.groups).toEqual(["system:masters", "system:authenticated"]);

    const token = (
      await core.createNamespacedServiceAccountToken({
        name: "build-robot",
        namespace,
        body: { spec: { audiences: [] } },
      })
    ).status!.token;
    const asSa = tokenConfig(token).makeApiClient(AuthenticationV1Api);
    const me = await asSa.createSelfSubjectReview({ body: {} });
    expect(me.status?.userInfo?.username).toBe(`system:serviceaccount:${namespace}:build-robot`);
    expect(me.status?.userInfo?.groups).toEqual([
      "system:serviceaccounts",
      `system:serviceaccounts:${namespace}`,
      "system:authenticated",
    ]);

    const review = await authn.createTokenReview({ body: { spec: { token } } });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${namespace}:build-robot`);
    expect(review.status?.audiences).toEqual([stack.apiserverUrl]);
    const bad = await authn.createTokenReview({ body: { spec: { token: "not-a-token" } } });
    expect(bad.status?.authenticated).toBeUndefined();
    expect(bad.status?.error).toBe("invalid bearer token");
  });

  it("answers SelfSubjectAccessReview as a service account", async () => {
    const token = (
      await core.createNamespacedServiceAccountToken({
        name: "build-robot",
        namespace,
        body: { spec: { audiences: [] } },
      })
    ).status!.token;
    const authz = tokenConfig(token).makeApiClient(AuthorizationV1Api);
    const review = await authz.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace, verb: "list", resource: "secrets" } } },
    });
    expect(review.status?.allowed).toBe(false);
    const forbidden = await statusOf(
      tokenConfig(token).makeApiClient(CoreV1Api).listNamespacedSecret({ namespace }),
    );
    expect(forbidden.code).toBe(403);
    expect(forbidden.body.message).toBe(
      `secrets is forbidden: User "system:serviceaccount:${namespace}:build-robot" cannot list resource "secrets" in API group "" in the namespace "${namespace}"`,
    );
  });

  it("reads the issuer's OpenID discovery document and JWKS", async () => {
    const config = (await kc
      .makeApiClient(WellKnownApi)
      .getServiceAccountIssuerOpenIDConfiguration()) as unknown;
    const doc = (typeof config === "string" ? JSON.parse(config) : config) as Record<string, unknown>;
    expect(doc.issuer).toBe(stack.apiserverUrl);
    expect(doc.jwks_uri).toBe(`${stack.apiserverUrl}/openid/v1/jwks`);
    const keys = (await kc.makeApiClient(OpenidApi).getServiceAccountIssuerOpenIDKeyset()) as unknown;
    const jwks = (typeof keys === "string" ? JSON.parse(keys) : keys) as { keys: { kid: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]!.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("watches service accounts and deletes one", async () => {
    const events: { type: string; name: string | undefined }[] = [];
    const list = await core.listNamespacedServiceAccount({ namespace });
    let ended: unknown = "open";
    const controller = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/serviceaccounts`,
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, obj: V1ServiceAccount) => events.push({ type, name: obj.metadata?.name }),
      (err) => {
        ended = err;
      },
    );
    try {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "watched" } } });
      const deleted = await core.deleteNamespacedServiceAccount({ name: "watched", namespace });
      // service accounts answer a delete with the deleted object (ReturnDeletedObject)
      expect(deleted.metadata?.name).toBe("watched");
      await eventually(
        async () => (events.some((e) => e.type === "DELETED") ? true : undefined),
        "DELETED event",
      );
      expect(events.filter((e) => e.name === "watched")).toEqual([
        { type: "ADDED", name: "watched" },
        { type: "DELETED", name: "watched" },
      ]);
      expect(ended).toBe("open");
    } finally {
      controller.abort();
    }
    const gone = await statusOf(core.readNamespacedServiceAccount({ name: "watched", namespace }));
    expect(gone.code).toBe(404);
    // a Secret delete answers with a Success Status
    const status = await core.deleteNamespacedSecret({ name: "bound", namespace });
    expect(status).toMatchObject({
      kind: "Status",
      status: "Success",
      details: { name: "bound", kind: "secrets" },
    });
  });

  it("deletes with preconditions and propagation policy, and deletes collections", async () => {
    const sa = await core.createNamespacedServiceAccount({
      namespace,
      body: { metadata: { name: "guarded" } },
    });
    const wrongUid = await statusOf(
      core.deleteNamespacedServiceAccount({
        name: "guarded",
        namespace,
        body: { preconditions: { uid: "00000000-0000-4000-8000-000000000000" } },
      }),
    );
    expect(wrongUid.code).toBe(409);
    expect(wrongUid.body.message).toBe(
      `Operation cannot be fulfilled on ServiceAccount "guarded": the UID in the precondition (00000000-0000-4000-8000-000000000000) does not match the UID in record (${sa.metadata!.uid}). The object might have been deleted and then recreated`,
    );
    const gone = await core.deleteNamespacedServiceAccount({
      name: "guarded",
      namespace,
      propagationPolicy: "Foreground",
      body: { preconditions: { uid: sa.metadata!.uid!, resourceVersion: sa.metadata!.resourceVersion! } },
    });
    expect(gone.metadata?.uid).toBe(sa.metadata?.uid);

    for (const name of ["c1", "c2", "c3"]) {
      await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name, labels: { batch: name === "c3" ? "keep" : "drop" } } },
      });
    }
    // Kubernetes answers with the list of deleted objects (the client types it as a Status)
    const deleted = (await core.deleteCollectionNamespacedConfigMap({
      namespace,
      labelSelector: "batch=drop",
    })) as {
      kind?: string;
    };
    expect(deleted.kind).toBe("ConfigMapList");
    const left = await core.listNamespacedConfigMap({ namespace, labelSelector: "batch" });
    expect(left.items.map((c) => c.metadata?.name)).toEqual(["c3"]);
  });
});
