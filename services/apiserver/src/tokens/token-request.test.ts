import { clone, create } from "@bufbuild/protobuf";
import { StatusError } from "@tokenplane/apimachinery";
import { authnv1 } from "@tokenplane/proto";
import { beforeEach, describe, expect, it } from "vitest";
import { type AuthnEnv, authnEnv, decodePayload, rsaKey } from "../authn/test-env.js";
import type { Registry } from "../registry/registry.js";
import {
  createTokenRequestHandler,
  type TokenRequestHandlerOptions,
  validateMaxTokenExpiration,
} from "./token-request.js";

// Reference §2.2 (every numbered step's error) and §2.3 (validation bounds), against the real
// registry and memory store.

const ISSUER = "https://foo.bar.example.com";

let env: AuthnEnv;
let saUid: string;
let podUid: string;

beforeEach(async () => {
  env = await authnEnv();
  saUid = (await env.createServiceAccount("myns", "test-svcacct")).metadata?.uid ?? "";
  await env.createServiceAccount("myns", "other-test-svcacct");
  podUid = (await env.createPod("myns", "test-pod", "test-svcacct")).metadata?.uid ?? "";
  await env.createPod("myns", "other-test-pod", "other-test-svcacct");
  await env.createSecret("myns", "test-secret");
  await env.createNode("test-node");
});

const handler = (overrides: Partial<TokenRequestHandlerOptions> = {}) =>
  createTokenRequestHandler({
    registry: env.registry,
    signingKey: rsaKey,
    issuer: ISSUER,
    apiAudiences: ["api"],
    clock: env.clock,
    metrics: env.metrics,
    ...overrides,
  });

type RequestInit = {
  name?: string;
  namespace?: string;
  uid?: string;
  audiences?: string[];
  expirationSeconds?: bigint;
  ref?: { kind: string; apiVersion: string; name: string; uid?: string };
};

const tokenRequest = (init: RequestInit = {}) =>
  create(authnv1.TokenRequestSchema, {
    metadata: { name: init.name ?? "", namespace: init.namespace ?? "", uid: init.uid ?? "" },
    spec: {
      audiences: init.audiences ?? [],
      ...(init.expirationSeconds !== undefined ? { expirationSeconds: init.expirationSeconds } : {}),
      ...(init.ref !== undefined ? { boundObjectRef: { uid: "", ...init.ref } } : {}),
    },
  });

async function failure(p: Promise<unknown>): Promise<[number, string]> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return [err.code, err.message];
    throw err;
  }
  throw new Error("expected a StatusError, the request succeeded");
}

const pod = (name = "test-pod", uid = "") => ({ kind: "Pod", apiVersion: "v1", name, uid });

describe("§2.2 TokenRequest refusals, step by step", () => {
  const table: {
    name: string;
    namespace?: string;
    sa?: string;
    request: () => RequestInit;
    options?: Partial<TokenRequestHandlerOptions>;
    expected: () => [number, string];
  }[] = [
    {
      name: "1. no namespace in the URL",
      namespace: "",
      request: () => ({}),
      expected: () => [400, "namespace is required"],
    },
    {
      name: "2. body namespace differs from the URL's",
      request: () => ({ namespace: "other" }),
      expected: () => [
        400,
        "the namespace of the provided object does not match the namespace sent on the request",
      ],
    },
    {
      name: "3. body name differs from the URL's",
      request: () => ({ name: "wrong-name" }),
      expected: () => [
        422,
        'TokenRequest.authentication.k8s.io "test-svcacct" is invalid: metadata.name: Invalid value: "wrong-name": must match the service account name if specified',
      ],
    },
    {
      name: "4. the ServiceAccount does not exist",
      sa: "ghost",
      request: () => ({}),
      expected: () => [404, 'serviceaccounts "ghost" not found'],
    },
    {
      name: "5. body uid is not the ServiceAccount's (gate on)",
      request: () => ({ uid: "not-the-uid" }),
      expected: () => [
        409,
        `Operation cannot be fulfilled on TokenRequest.authentication.k8s.io "test-svcacct": the UID in the token request (not-the-uid) does not match the UID of the service account (${saUid})`,
      ],
    },
    {
      name: "8. validation: 599 s (the message names no object)",
      request: () => ({ expirationSeconds: 599n }),
      expected: () => [
        422,
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
      ],
    },
    {
      name: "8. validation: an explicit 0 is not defaulted",
      request: () => ({ expirationSeconds: 0n }),
      expected: () => [
        422,
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 0: may not specify a duration less than 10 minutes',
      ],
    },
    {
      name: "8. validation: 2^32 + 1 s",
      request: () => ({ expirationSeconds: 4294967297n }),
      expected: () => [
        422,
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds',
      ],
    },
    {
      name: "8. validation comes before the bound object lookup",
      request: () => ({ expirationSeconds: 1n, ref: pod("no-such-pod") }),
      expected: () => [
        422,
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 1: may not specify a duration less than 10 minutes',
      ],
    },
    {
      name: "9. Pod missing",
      request: () => ({ ref: pod("no-such-pod") }),
      expected: () => [404, 'pods "no-such-pod" not found'],
    },
    {
      name: "9. Pod running as another ServiceAccount",
      request: () => ({ ref: pod("other-test-pod") }),
      expected: () => [
        400,
        'cannot bind token for serviceaccount "test-svcacct" to pod running with different serviceaccount name.',
      ],
    },
    {
      name: "9. Pod uid mismatch: 409 with resource = Kind",
      request: () => ({ ref: pod("test-pod", "wrong-uid") }),
      expected: () => [
        409,
        'Operation cannot be fulfilled on Pod "test-pod": the UID in the bound object reference (wrong-uid) does not match the UID in record. The object might have been deleted and then recreated',
      ],
    },
    {
      name: "9. Pod under a non-core group",
      request: () => ({ ref: { kind: "Pod", apiVersion: "apps/v1", name: "test-pod" } }),
      expected: () => [400, "cannot bind token to object of type apps/v1, Kind=Pod"],
    },
    {
      name: "9. Node with the node-binding gate off",
      request: () => ({ ref: { kind: "Node", apiVersion: "v1", name: "test-node" } }),
      options: { nodeBinding: false },
      expected: () => [
        400,
        'cannot bind token to a Node object as the "ServiceAccountTokenNodeBinding" feature-gate is disabled',
      ],
    },
    {
      name: "9. Node missing",
      request: () => ({ ref: { kind: "Node", apiVersion: "v1", name: "no-such-node" } }),
      expected: () => [404, 'nodes "no-such-node" not found'],
    },
    {
      name: "9. Node uid mismatch",
      request: () => ({ ref: { kind: "Node", apiVersion: "v1", name: "test-node", uid: "x" } }),
      expected: () => [
        409,
        'Operation cannot be fulfilled on Node "test-node": the UID in the bound object reference (x) does not match the UID in record. The object might have been deleted and then recreated',
      ],
    },
    {
      name: "9. Secret missing",
      request: () => ({ ref: { kind: "Secret", apiVersion: "v1", name: "no-such-secret" } }),
      expected: () => [404, 'secrets "no-such-secret" not found'],
    },
    {
      name: "9. Secret uid mismatch",
      request: () => ({ ref: { kind: "Secret", apiVersion: "v1", name: "test-secret", uid: "x" } }),
      expected: () => [
        409,
        'Operation cannot be fulfilled on Secret "test-secret": the UID in the bound object reference (x) does not match the UID in record. The object might have been deleted and then recreated',
      ],
    },
    {
      // The storage's key function runs before any lookup (genericregistry NamespaceKeyFunc /
      // NoNamespaceKeyFunc): a reference without a name, or one that is not a path segment.
      name: "9. a bound object without a name: 400 from the storage's key function",
      request: () => ({ ref: { kind: "Pod", apiVersion: "v1", name: "" } }),
      expected: () => [400, "Name parameter required."],
    },
    {
      name: "9. a bound node whose name is not a path segment",
      request: () => ({ ref: { kind: "Node", apiVersion: "v1", name: "a/b%c" } }),
      expected: () => [400, `Name parameter invalid: "a/b%c": may not contain '/';may not contain '%'`],
    },
    {
      name: "9. a bound secret named ..",
      request: () => ({ ref: { kind: "Secret", apiVersion: "v1", name: ".." } }),
      expected: () => [400, `Name parameter invalid: "..": may not be '..'`],
    },
    {
      name: "9. a kind that cannot be bound",
      request: () => ({ ref: { kind: "ConfigMap", apiVersion: "v1", name: "kube-root-ca.crt" } }),
      expected: () => [400, "cannot bind token to object of type /v1, Kind=ConfigMap"],
    },
    {
      name: "9. another group's kind",
      request: () => ({ ref: { kind: "Deployment", apiVersion: "apps/v1", name: "d" } }),
      expected: () => [400, "cannot bind token to object of type apps/v1, Kind=Deployment"],
    },
    {
      name: "12. signing fails: 500",
      request: () => ({}),
      options: {
        signingKey: () => {
          throw new Error("no signing key loaded");
        },
      },
      expected: () => [500, "Internal error occurred: failed to generate token: no signing key loaded"],
    },
  ];
  it.each(table)("$name", async ({ namespace, sa, request, options, expected }) => {
    const got = await failure(
      handler(options).createToken(
        env.ctx(),
        namespace ?? "myns",
        sa ?? "test-svcacct",
        tokenRequest(request()),
      ),
    );
    expect(got).toStrictEqual(expected());
  });

  it("9. a Node that cannot be read for another reason than NotFound: 500", async () => {
    const broken: Registry = {
      ...env.registry,
      get: (info, ns, name, o) =>
        info.resource === "nodes"
          ? Promise.reject(new Error("storage is down"))
          : env.registry.get(info, ns, name, o),
    };
    await env.createPod("myns", "scheduled", "test-svcacct", { nodeName: "test-node" });
    expect(
      await failure(
        handler({ registry: broken }).createToken(
          env.ctx(),
          "myns",
          "test-svcacct",
          tokenRequest({ ref: pod("scheduled") }),
        ),
      ),
    ).toStrictEqual([500, "Internal error occurred: storage is down"]);
  });

  it("5. gate off: a uid mismatch is a warning and an audit annotation, not a conflict", async () => {
    const ctx = env.ctx();
    const out = await handler({ serviceAccountUidValidation: false }).createToken(
      ctx,
      "myns",
      "test-svcacct",
      tokenRequest({ uid: "not-the-uid" }),
    );
    const mismatch = `the UID in the token request (not-the-uid) does not match the UID of the service account (${saUid})`;
    expect(ctx.warnings).toStrictEqual([
      `${mismatch} but TokenRequestServiceAccountUIDValidation is not enabled. In the future, this will return a conflict error`,
    ]);
    expect(ctx.auditAnnotations["authentication.k8s.io/token-request-uid-mismatch"]).toBe(mismatch);
    expect(out.metadata?.uid).toBe("not-the-uid");
  });
});

describe("§2.3 expirationSeconds bounds", () => {
  it.each([
    [599n, false],
    [600n, true],
    [4294967296n, true],
    [4294967297n, false],
  ])("%i s accepted: %s", async (seconds, accepted) => {
    const p = handler().createToken(
      env.ctx(),
      "myns",
      "test-svcacct",
      tokenRequest({ expirationSeconds: seconds }),
    );
    if (accepted) {
      const out = await p;
      const { json } = decodePayload(out.status?.token ?? "");
      expect([out.spec?.expirationSeconds, (json.exp as number) - (json.iat as number)]).toStrictEqual([
        seconds,
        Number(seconds),
      ]);
    } else {
      expect((await failure(p))[0]).toBe(422);
    }
  });

  it("--service-account-max-token-expiration: 0 or [1 h, 2^32 s]", () => {
    expect([0, 3599, 3600, 2 ** 32, 2 ** 32 + 1].map(validateMaxTokenExpiration)).toStrictEqual([
      undefined,
      "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds",
      undefined,
      undefined,
      "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds",
    ]);
  });
});

describe("§2.2 a successful request", () => {
  it("fills defaults and metadata, binds to the pod, annotates the credential id (6, 7, 12, 13)", async () => {
    const ctx = env.ctx();
    const out = await handler({ newJti: () => "fixed" }).createToken(
      ctx,
      "myns",
      "test-svcacct",
      tokenRequest({ ref: pod() }),
    );
    expect(out.metadata?.name).toBe("test-svcacct");
    expect(out.metadata?.namespace).toBe("myns");
    expect(out.metadata?.uid).toBe(saUid);
    expect(out.metadata?.creationTimestamp?.seconds).toBe(BigInt(env.nowSeconds()));
    expect(out.spec?.audiences).toStrictEqual(["api"]);
    expect(out.spec?.expirationSeconds).toBe(3600n);
    expect(out.spec?.boundObjectRef?.uid).toBe(""); // the live uid goes into the token only
    expect(out.status?.expirationTimestamp?.seconds).toBe(BigInt(env.nowSeconds() + 3600));
    expect(ctx.auditAnnotations).toStrictEqual({
      "authentication.kubernetes.io/issued-credential-id": "JTI=fixed",
    });
    expect(ctx.warnings).toStrictEqual([]);
    const { json } = decodePayload(out.status?.token ?? "");
    expect(json["kubernetes.io"]).toStrictEqual({
      namespace: "myns",
      pod: { name: "test-pod", uid: podUid },
      serviceaccount: { name: "test-svcacct", uid: saUid },
    });
  });

  it("the request object is not changed", async () => {
    const request = tokenRequest({ ref: pod() });
    const before = clone(authnv1.TokenRequestSchema, request);
    await handler().createToken(env.ctx(), "myns", "test-svcacct", request);
    expect(request).toStrictEqual(before);
  });

  it("the version of the bound object's apiVersion is ignored", async () => {
    const out = await handler().createToken(
      env.ctx(),
      "myns",
      "test-svcacct",
      tokenRequest({ ref: { kind: "Pod", apiVersion: "v7", name: "test-pod" } }),
    );
    expect(
      (decodePayload(out.status?.token ?? "").json["kubernetes.io"] as { pod: unknown }).pod,
    ).toStrictEqual({
      name: "test-pod",
      uid: podUid,
    });
  });

  it("dryRun still mints a token, as Kubernetes' TokenREST (which ignores dryRun) does", async () => {
    const out = await handler().createToken(env.ctx(), "myns", "test-svcacct", tokenRequest(), {
      dryRun: true,
    });
    expect(out.status?.token.split(".").length).toBe(3);
  });

  it("counts issued tokens by bound kind, failures by code, and the latency", async () => {
    const h = handler();
    await h.createToken(env.ctx(), "myns", "test-svcacct", tokenRequest());
    await h.createToken(env.ctx(), "myns", "test-svcacct", tokenRequest({ ref: pod() }));
    await h.createToken(env.ctx(), "myns", "test-svcacct", tokenRequest({ ref: pod() }));
    await failure(h.createToken(env.ctx(), "myns", "ghost", tokenRequest()));
    const text = await env.metrics.metrics();
    expect(text).toContain(
      'serviceaccount_tokenrequest_issued_total{bound_kind="none",service="apiserver"} 1',
    );
    expect(text).toContain(
      'serviceaccount_tokenrequest_issued_total{bound_kind="Pod",service="apiserver"} 2',
    );
    expect(text).toContain('serviceaccount_tokenrequest_failures_total{code="404",service="apiserver"} 1');
    expect(text).toContain('serviceaccount_tokenrequest_duration_seconds_count{service="apiserver"} 4');
    expect(text).toContain(
      'serviceaccount_tokenrequest_duration_seconds_bucket{le="+Inf",service="apiserver"} 4',
    );
  });

  it("a signing key getter is asked for every token (rotation)", async () => {
    let calls = 0;
    const h = handler({
      signingKey: () => {
        calls++;
        return rsaKey;
      },
    });
    await h.createToken(env.ctx(), "myns", "test-svcacct", tokenRequest());
    await h.createToken(env.ctx(), "myns", "test-svcacct", tokenRequest());
    expect(calls).toBe(2);
  });
});

describe("the test-only minimum lifetime (--service-account-token-min-expiration)", () => {
  it("keeps Kubernetes' 10 minute floor by default", async () => {
    const err = await handler()
      .createToken(env.ctx(), "myns", "test-svcacct", tokenRequest({ expirationSeconds: 599n }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).message).toBe(
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
    );
  });

  it("accepts shorter lifetimes down to the lowered floor, and names it", async () => {
    const h = handler({ minExpirationSeconds: 10 });
    const ok = await h.createToken(
      env.ctx(),
      "myns",
      "test-svcacct",
      tokenRequest({ expirationSeconds: 10n }),
    );
    expect(ok.spec?.expirationSeconds).toBe(10n);
    const err = await h
      .createToken(env.ctx(), "myns", "test-svcacct", tokenRequest({ expirationSeconds: 9n }))
      .catch((e: unknown) => e);
    expect((err as StatusError).message).toBe(
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 9: may not specify a duration less than 10 seconds',
    );
  });
});
