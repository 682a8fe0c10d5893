/**
 * TokenRequest (`POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`) of the real apiserver
 * process over HTTPS+JSON (reference §2.2–§2.5): every numbered step of the create algorithm with
 * its status code and exact Status, the validation bounds, the maximum-expiration clamp (the
 * `Warning` header) and the 3607 s extension, and Kubernetes' integration test
 * (test/integration/auth/svcaccttoken_test.go, §2.5) case by case, with its server settings:
 * issuer `https://foo.bar.example.com`, API audiences `["api"]`, max expiration 2h, extension on,
 * ServiceAccount admission off, token caches off. The issuer is only a string in the tokens: the
 * discovery document's jwks_uri is built from the apiserver's own HTTPS address.
 *
 * The flag-dependent rules (`--service-account-max-token-expiration` below 3607 s, extension off,
 * out-of-range maximum refused at start) restart the same apiserver with other flags at the end.
 */
import { readFileSync } from "node:fs";
import { boundClaims, parseSigningKeyPem, randomJti, signToken } from "@tokenplane/crypto";
import { createApiserverClient, createGrpcChannel } from "@tokenplane/runtime";
import { startTestStack, type TestStack } from "@tokenplane/testing";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiClient,
  apiClient,
  decodeJwt,
  failureStatus,
  type Json,
  nowSeconds,
} from "./support/api-client.js";

const ISSUER = "https://foo.bar.example.com";
const APISERVER_FLAGS = [
  "--admission-address=",
  "--api-audiences=api",
  "--service-account-max-token-expiration=2h",
  "--token-success-cache-ttl=0s",
];
const TOKENREVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
const YEAR = 31_536_000;

let stack: TestStack;
let api: ApiClient;

const path = (ns: string, resource: string) => `/api/v1/namespaces/${ns}/${resource}`;
const tokenPath = (ns: string, sa: string) => path(ns, `serviceaccounts/${sa}/token`);
const container = [{ name: "c", image: "busybox" }];

/** Creates an object and returns its uid. */
async function make(p: string, body: Record<string, unknown>): Promise<string> {
  return (await api.create(p, body)).metadata.uid;
}

/** POSTs a TokenRequest with `spec` (and `metadata`). */
function requestToken(ns: string, sa: string, spec: Record<string, unknown> = {}, metadata?: object) {
  return api.post(tokenPath(ns, sa), {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    ...(metadata ? { metadata } : {}),
    spec,
  });
}

/** The `status` of a TokenReview (default audiences = the API's). */
async function review(token: string): Promise<Json> {
  const r = await api.post(TOKENREVIEWS, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenReview",
    spec: { token },
  });
  expect(r.status, r.body).toBe(201);
  return r.json().status;
}

const podRef = (name: string, uid?: string) => ({
  kind: "Pod",
  apiVersion: "v1",
  name,
  ...(uid !== undefined ? { uid } : {}),
});

beforeAll(async () => {
  stack = await startTestStack({
    services: ["apiserver"],
    issuers: [ISSUER],
    extraArgs: { apiserver: [...APISERVER_FLAGS] },
  });
  api = apiClient(stack);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("§2.2 the create algorithm, step by step", () => {
  const NS = "steps";
  const uids: Record<string, string> = {};

  beforeAll(async () => {
    await make("/api/v1/namespaces", { metadata: { name: NS } });
    uids.sa = await make(path(NS, "serviceaccounts"), { metadata: { name: "test-svcacct" } });
    await make(path(NS, "serviceaccounts"), { metadata: { name: "other-svcacct" } });
    uids.pod = await make(path(NS, "pods"), {
      metadata: { name: "test-pod" },
      spec: { serviceAccountName: "test-svcacct", containers: container },
    });
    await make(path(NS, "pods"), {
      metadata: { name: "other-pod" },
      spec: { serviceAccountName: "other-svcacct", containers: container },
    });
    uids.secret = await make(path(NS, "secrets"), { metadata: { name: "test-secret" } });
    uids.node = await make("/api/v1/nodes", { metadata: { name: "step-node" } });
    await make(path(NS, "configmaps"), { metadata: { name: "test-cm" } });
  });

  it("step 1: no namespace → 400 `namespace is required` (gRPC; the HTTP routes always carry one)", async () => {
    const channel = createGrpcChannel({
      address: `127.0.0.1:${stack.ports.apiserver.grpc}`,
      tls: {
        caFile: stack.layout.ca.cert,
        certFile: stack.layout.admin.cert,
        keyFile: stack.layout.admin.key,
      },
    });
    try {
      const client = createApiserverClient(channel);
      const err = await client.tokens
        .createToken({ namespace: "", name: "test-svcacct", tokenRequest: {} })
        .then(
          () => undefined,
          (e: unknown) => e as { status: unknown },
        );
      expect(err?.status).toEqual({ ...failureStatus(400, "BadRequest", "namespace is required") });
      // the same handler over gRPC mints tokens like HTTPS
      const ok = await client.tokens.createToken({ namespace: NS, name: "test-svcacct", tokenRequest: {} });
      expect(decodeJwt(ok.status?.token ?? "").payload.sub).toBe(`system:serviceaccount:${NS}:test-svcacct`);
    } finally {
      channel.close();
    }
  });

  const table: {
    step: string;
    sa?: string;
    spec?: Record<string, unknown>;
    metadata?: Record<string, unknown>;
    code: number;
    reason: string;
    message: string | (() => string);
    details?: Record<string, unknown> | (() => Record<string, unknown>);
  }[] = [
    {
      step: "2: a body namespace other than the URL's",
      metadata: { namespace: "elsewhere" },
      code: 400,
      reason: "BadRequest",
      message: "the namespace of the provided object does not match the namespace sent on the request",
    },
    {
      step: "2 before 3: namespace and name both wrong",
      metadata: { namespace: "elsewhere", name: "other-name" },
      code: 400,
      reason: "BadRequest",
      message: "the namespace of the provided object does not match the namespace sent on the request",
    },
    {
      step: "3: a body name other than the URL's",
      metadata: { name: "other-name" },
      code: 422,
      reason: "Invalid",
      message:
        'TokenRequest.authentication.k8s.io "test-svcacct" is invalid: metadata.name: Invalid value: "other-name": must match the service account name if specified',
      details: {
        name: "test-svcacct",
        group: "authentication.k8s.io",
        kind: "TokenRequest",
        causes: [
          {
            reason: "FieldValueInvalid",
            message: 'Invalid value: "other-name": must match the service account name if specified',
            field: "metadata.name",
          },
        ],
      },
    },
    {
      step: "4: the service account does not exist",
      sa: "missing-svcacct",
      code: 404,
      reason: "NotFound",
      message: 'serviceaccounts "missing-svcacct" not found',
      details: { name: "missing-svcacct", kind: "serviceaccounts" },
    },
    {
      step: "4 before 8: a missing account wins over an invalid lifetime",
      sa: "missing-svcacct",
      spec: { expirationSeconds: 10 },
      code: 404,
      reason: "NotFound",
      message: 'serviceaccounts "missing-svcacct" not found',
      details: { name: "missing-svcacct", kind: "serviceaccounts" },
    },
    {
      step: "5: a body uid other than the account's",
      metadata: { uid: "not-the-uid" },
      code: 409,
      reason: "Conflict",
      message: () =>
        `Operation cannot be fulfilled on TokenRequest.authentication.k8s.io "test-svcacct": the UID in the token request (not-the-uid) does not match the UID of the service account (${uids.sa})`,
      details: { name: "test-svcacct", group: "authentication.k8s.io", kind: "TokenRequest" },
    },
    {
      step: "8: shorter than 10 minutes (note the empty name)",
      spec: { expirationSeconds: 599 },
      code: 422,
      reason: "Invalid",
      message:
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
      details: {
        group: "authentication.k8s.io",
        kind: "TokenRequest",
        causes: [
          {
            reason: "FieldValueInvalid",
            message: "Invalid value: 599: may not specify a duration less than 10 minutes",
            field: "spec.expirationSeconds",
          },
        ],
      },
    },
    {
      step: "8: longer than 2^32 seconds",
      spec: { expirationSeconds: 2 ** 32 + 1 },
      code: 422,
      reason: "Invalid",
      message:
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds',
      details: {
        group: "authentication.k8s.io",
        kind: "TokenRequest",
        causes: [
          {
            reason: "FieldValueInvalid",
            message: "Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds",
            field: "spec.expirationSeconds",
          },
        ],
      },
    },
    {
      step: "8 before 9: an invalid lifetime wins over a missing pod",
      spec: { expirationSeconds: 10, boundObjectRef: podRef("no-pod") },
      code: 422,
      reason: "Invalid",
      message:
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes',
      details: {
        group: "authentication.k8s.io",
        kind: "TokenRequest",
        causes: [
          {
            reason: "FieldValueInvalid",
            message: "Invalid value: 10: may not specify a duration less than 10 minutes",
            field: "spec.expirationSeconds",
          },
        ],
      },
    },
    {
      step: "9: the bound pod does not exist",
      spec: { boundObjectRef: podRef("no-pod") },
      code: 404,
      reason: "NotFound",
      message: 'pods "no-pod" not found',
      details: { name: "no-pod", kind: "pods" },
    },
    {
      step: "9: a bound pod without a name (the storage's key function)",
      spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1" } },
      code: 400,
      reason: "BadRequest",
      message: "Name parameter required.",
    },
    {
      step: "9: the bound pod runs as another account",
      spec: { boundObjectRef: podRef("other-pod") },
      code: 400,
      reason: "BadRequest",
      message:
        'cannot bind token for serviceaccount "test-svcacct" to pod running with different serviceaccount name.',
    },
    {
      step: "9: the bound node does not exist",
      spec: { boundObjectRef: { kind: "Node", apiVersion: "v1", name: "no-node" } },
      code: 404,
      reason: "NotFound",
      message: 'nodes "no-node" not found',
      details: { name: "no-node", kind: "nodes" },
    },
    {
      step: "9: the bound secret does not exist",
      spec: { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "no-secret" } },
      code: 404,
      reason: "NotFound",
      message: 'secrets "no-secret" not found',
      details: { name: "no-secret", kind: "secrets" },
    },
    {
      step: "9: a kind that cannot be bound (core ConfigMap)",
      spec: { boundObjectRef: { kind: "ConfigMap", apiVersion: "v1", name: "test-cm" } },
      code: 400,
      reason: "BadRequest",
      message: "cannot bind token to object of type /v1, Kind=ConfigMap",
    },
    {
      step: "9: the group counts (apps/v1 Pod is not a core Pod)",
      spec: { boundObjectRef: { kind: "Pod", apiVersion: "apps/v1", name: "test-pod" } },
      code: 400,
      reason: "BadRequest",
      message: "cannot bind token to object of type apps/v1, Kind=Pod",
    },
    {
      step: "9: the pod's uid differs (resource = the kind)",
      spec: { boundObjectRef: podRef("test-pod", "stale-uid") },
      code: 409,
      reason: "Conflict",
      message:
        'Operation cannot be fulfilled on Pod "test-pod": the UID in the bound object reference (stale-uid) does not match the UID in record. The object might have been deleted and then recreated',
      details: { name: "test-pod", kind: "Pod" },
    },
    {
      step: "9: the secret's uid differs",
      spec: { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "test-secret", uid: "stale-uid" } },
      code: 409,
      reason: "Conflict",
      message:
        'Operation cannot be fulfilled on Secret "test-secret": the UID in the bound object reference (stale-uid) does not match the UID in record. The object might have been deleted and then recreated',
      details: { name: "test-secret", kind: "Secret" },
    },
    {
      step: "9: the node's uid differs",
      spec: { boundObjectRef: { kind: "Node", apiVersion: "v1", name: "step-node", uid: "stale-uid" } },
      code: 409,
      reason: "Conflict",
      message:
        'Operation cannot be fulfilled on Node "step-node": the UID in the bound object reference (stale-uid) does not match the UID in record. The object might have been deleted and then recreated',
      details: { name: "step-node", kind: "Node" },
    },
  ];
  it.each(table)("step $step → $code", async ({ sa, spec, metadata, code, reason, message, details }) => {
    const r = await requestToken(NS, sa ?? "test-svcacct", spec, metadata);
    expect(r.status).toBe(code);
    expect(r.headers["content-type"]).toBe("application/json");
    const text = typeof message === "function" ? message() : message;
    const d = typeof details === "function" ? details() : details;
    expect(r.json()).toEqual(failureStatus(code, reason, text, d));
  });

  it("steps 5–7 and 13: the response repeats the request with name, namespace, uid, creationTimestamp and status", async () => {
    for (const uid of [undefined, uids.sa]) {
      const before = nowSeconds();
      const r = await requestToken(
        NS,
        "test-svcacct",
        { boundObjectRef: podRef("test-pod") },
        uid ? { uid } : undefined,
      );
      expect(r.status).toBe(201);
      const body = r.json();
      const { payload } = decodeJwt(body.status.token);
      expect(body).toEqual({
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        metadata: {
          name: "test-svcacct",
          namespace: NS,
          uid: uids.sa,
          creationTimestamp: new Date(payload.iat * 1000).toISOString().replace(".000Z", "Z"),
        },
        // the bound object reference stays as sent (no uid written back, §9.1)
        spec: { audiences: ["api"], expirationSeconds: 3600, boundObjectRef: podRef("test-pod") },
        status: {
          token: body.status.token,
          expirationTimestamp: new Date((payload.iat + 3600) * 1000).toISOString().replace(".000Z", "Z"),
        },
      });
      expect(payload.iat).toBeGreaterThanOrEqual(before);
      expect(payload["kubernetes.io"].pod).toEqual({ name: "test-pod", uid: uids.pod });
    }
  });

  it("step 9: the version of the bound reference is ignored, an empty uid takes the live one", async () => {
    const r = await requestToken(NS, "test-svcacct", {
      boundObjectRef: { kind: "Secret", apiVersion: "v9", name: "test-secret" },
    });
    expect(r.status).toBe(201);
    expect(decodeJwt(r.json().status.token).payload["kubernetes.io"].secret).toEqual({
      name: "test-secret",
      uid: uids.secret,
    });
    const right = await requestToken(NS, "test-svcacct", {
      boundObjectRef: { kind: "Node", apiVersion: "v1", name: "step-node", uid: uids.node },
    });
    expect(right.status).toBe(201);
    expect(decodeJwt(right.json().status.token).payload["kubernetes.io"].node).toEqual({
      name: "step-node",
      uid: uids.node,
    });
  });

  it("the exact JWT: sorted claims, header {alg, kid} only, payload as §1.1", async () => {
    const r = await requestToken(NS, "test-svcacct", {
      audiences: ["api", "b"],
      boundObjectRef: podRef("test-pod"),
    });
    const token: string = r.json().status.token;
    const [h, p] = token.split(".");
    const header = Buffer.from(h!, "base64url").toString();
    const key = parseSigningKeyPem(readFileSync(stack.layout.serviceAccountKey));
    expect(header).toBe(`{"alg":"RS256","kid":"${key.kid}"}`);
    const payload = JSON.parse(Buffer.from(p!, "base64url").toString());
    expect(Buffer.from(p!, "base64url").toString()).toBe(
      JSON.stringify({
        aud: ["api", "b"],
        exp: payload.iat + 3600,
        iat: payload.iat,
        iss: ISSUER,
        jti: payload.jti,
        "kubernetes.io": {
          namespace: NS,
          pod: { name: "test-pod", uid: uids.pod },
          serviceaccount: { name: "test-svcacct", uid: uids.sa },
        },
        nbf: payload.iat,
        sub: `system:serviceaccount:${NS}:test-svcacct`,
      }),
    );
    expect(payload.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("the same rules through kubectl create token (protobuf TokenRequest)", () => {
  // reuses the objects of §2.2 (namespace "steps")
  it("the clamp warning, a bound pod, and the server's refusals as kubectl prints them", async () => {
    const clamped = await stack.kubectl([
      "create",
      "token",
      "test-svcacct",
      "-n",
      "steps",
      "--duration=130m",
      "--bound-object-kind=Pod",
      "--bound-object-name=test-pod",
    ]);
    expect(clamped.code, clamped.stderr).toBe(0);
    expect(clamped.stderr).toBe("Warning: requested expiration of 7800 seconds shortened to 7200 seconds\n");
    const { payload } = decodeJwt(clamped.stdout.trim());
    expect(payload.exp - payload.iat).toBe(7200);
    expect(payload["kubernetes.io"].pod.name).toBe("test-pod");

    const stale = await stack.kubectl([
      "create",
      "token",
      "test-svcacct",
      "-n",
      "steps",
      "--bound-object-kind=Pod",
      "--bound-object-name=test-pod",
      "--bound-object-uid=stale-uid",
    ]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toBe(
      'error: failed to create token: Operation cannot be fulfilled on Pod "test-pod": the UID in the bound object reference (stale-uid) does not match the UID in record. The object might have been deleted and then recreated\n',
    );
    const short = await stack.kubectl(["create", "token", "test-svcacct", "-n", "steps", "--duration=5m"]);
    expect(short.code).toBe(1);
    expect(short.stderr).toBe(
      'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes\n',
    );
    const missing = await stack.kubectl(["create", "token", "missing-svcacct", "-n", "steps"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'error: failed to create token: serviceaccounts "missing-svcacct" not found\n',
    );
  });
});

describe("§2.3 the same bounds on projected token volumes (pod validation)", () => {
  const NS = "volumes";
  beforeAll(async () => {
    await make("/api/v1/namespaces", { metadata: { name: NS } });
  });

  it.each([
    [599, "may not specify a duration less than 10 minutes"],
    [2 ** 32 + 1, "may not specify a duration larger than 2^32 seconds"],
  ])("expirationSeconds %d → 422 %s", async (seconds, detail) => {
    const r = await api.post(path(NS, "pods"), {
      metadata: { name: "p" },
      spec: {
        containers: container,
        volumes: [
          {
            name: "t",
            projected: { sources: [{ serviceAccountToken: { expirationSeconds: seconds, path: "token" } }] },
          },
        ],
      },
    });
    expect(r.status).toBe(422);
    const field = "spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds";
    expect(r.json().message).toBe(`Pod "p" is invalid: ${field}: Invalid value: ${seconds}: ${detail}`);
    expect(r.json().details.causes).toEqual([
      { reason: "FieldValueInvalid", message: `Invalid value: ${seconds}: ${detail}`, field },
    ]);
  });
});

describe("§2.4 expiration: the maximum and the extension", () => {
  const NS = "expiry";
  const uids: Record<string, string> = {};
  beforeAll(async () => {
    await make("/api/v1/namespaces", { metadata: { name: NS } });
    uids.sa = await make(path(NS, "serviceaccounts"), { metadata: { name: "sa" } });
    uids.pod = await make(path(NS, "pods"), {
      metadata: { name: "pod" },
      spec: { serviceAccountName: "sa", containers: container },
    });
    await make(path(NS, "secrets"), { metadata: { name: "secret" } });
  });

  const cases: {
    name: string;
    spec: Record<string, unknown>;
    /** spec.expirationSeconds in the answer (= status.expirationTimestamp − creation). */
    granted: number;
    /** JWT exp − iat. */
    lifetime: number;
    warnafter?: number;
    warning?: string;
  }[] = [
    { name: "default 3600", spec: {}, granted: 3600, lifetime: 3600 },
    {
      name: "within the maximum (2h − 10m)",
      spec: { expirationSeconds: 6600 },
      granted: 6600,
      lifetime: 6600,
    },
    { name: "exactly the maximum", spec: { expirationSeconds: 7200 }, granted: 7200, lifetime: 7200 },
    {
      name: "over the maximum (2h + 10m) → shortened, one warning",
      spec: { expirationSeconds: 7800 },
      granted: 7200,
      lifetime: 7200,
      warning: '299 - "requested expiration of 7800 seconds shortened to 7200 seconds"',
    },
    {
      name: "2^32 → shortened",
      spec: { expirationSeconds: 2 ** 32 },
      granted: 7200,
      lifetime: 7200,
      warning: '299 - "requested expiration of 4294967296 seconds shortened to 7200 seconds"',
    },
    {
      name: "3607 pod-bound, API audiences → extended to a year with warnafter",
      spec: { expirationSeconds: 3607, boundObjectRef: podRef("pod") },
      granted: 3607,
      lifetime: YEAR,
      warnafter: 3607,
    },
    {
      name: "3607 pod-bound, audiences ['api'] given → extended",
      spec: { expirationSeconds: 3607, audiences: ["api"], boundObjectRef: podRef("pod") },
      granted: 3607,
      lifetime: YEAR,
      warnafter: 3607,
    },
    {
      name: "3607 pod-bound with an audience outside the API's → not extended",
      spec: { expirationSeconds: 3607, audiences: ["not-the-api", "api"], boundObjectRef: podRef("pod") },
      granted: 3607,
      lifetime: 3607,
    },
    {
      name: "3607 not bound → not extended",
      spec: { expirationSeconds: 3607 },
      granted: 3607,
      lifetime: 3607,
    },
    {
      name: "3607 secret-bound → not extended",
      spec: { expirationSeconds: 3607, boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "secret" } },
      granted: 3607,
      lifetime: 3607,
    },
    {
      name: "3608 pod-bound → not extended",
      spec: { expirationSeconds: 3608, boundObjectRef: podRef("pod") },
      granted: 3608,
      lifetime: 3608,
    },
  ];
  it.each(cases)("$name", async ({ spec, granted, lifetime, warnafter, warning }) => {
    const r = await requestToken(NS, "sa", spec);
    expect(r.status, r.body).toBe(201);
    expect(r.headers.warning).toBe(warning);
    const body = r.json();
    const { payload } = decodeJwt(body.status.token);
    expect(body.spec.expirationSeconds).toBe(granted);
    expect(
      Date.parse(body.status.expirationTimestamp) / 1000 - Date.parse(body.metadata.creationTimestamp) / 1000,
    ).toBe(granted);
    expect(Date.parse(body.metadata.creationTimestamp) / 1000).toBe(payload.iat);
    expect(payload.exp - payload.iat).toBe(lifetime);
    expect(payload.nbf).toBe(payload.iat);
    if (warnafter === undefined) expect(payload["kubernetes.io"].warnafter).toBeUndefined();
    else expect(payload["kubernetes.io"].warnafter - payload.iat).toBe(warnafter);
    // every token granted here authenticates for the API when it has its audience
    if ((body.spec.audiences as string[]).includes("api"))
      expect((await review(body.status.token)).authenticated).toBe(true);
  });
});

describe("§2.5 Kubernetes' integration test TestServiceAccountTokenCreate", () => {
  const NS = "myns";
  const SA = "test-svcacct";
  const key = () => parseSigningKeyPem(readFileSync(stack.layout.serviceAccountKey));
  const user = (saUid: string, extra: Record<string, string[]>) => ({
    username: `system:serviceaccount:${NS}:${SA}`,
    uid: saUid,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${NS}`, "system:authenticated"],
    extra,
  });
  const jtiExtra = (token: string) => ({
    "authentication.kubernetes.io/credential-id": [`JTI=${decodeJwt(token).payload.jti}`],
  });

  const createSa = () => make(path(NS, "serviceaccounts"), { metadata: { name: SA } });
  const deleteSa = async () => expect((await api.delete(path(NS, `serviceaccounts/${SA}`))).status).toBe(200);
  const createPod = (name = "test-pod", extra: Record<string, unknown> = {}, sa = SA) =>
    make(path(NS, "pods"), {
      metadata: { name },
      spec: { serviceAccountName: sa, containers: container, ...extra },
    });
  const deletePod = async (name = "test-pod") =>
    expect((await api.delete(path(NS, `pods/${name}`), { gracePeriodSeconds: 0 })).status).toBe(200);
  const mint = async (spec: Record<string, unknown> = {}) => {
    const r = await requestToken(NS, SA, spec);
    expect(r.status, r.body).toBe(201);
    return r.json() as Json;
  };

  beforeAll(async () => {
    await make("/api/v1/namespaces", { metadata: { name: NS } });
  });

  it("bound to service account", async () => {
    const before = await requestToken(NS, SA);
    expect(before.status).toBe(404);
    expect(before.json().message).toBe(`serviceaccounts "${SA}" not found`);
    const saUid = await createSa();
    const badName = await requestToken(NS, SA, {}, { name: "not-the-sa" });
    expect(badName.status).toBe(422);
    expect(badName.json().message).toContain("must match the service account name");
    const badNamespace = await requestToken(NS, SA, {}, { namespace: "not-myns" });
    expect(badNamespace.status).toBe(400);
    expect(badNamespace.json().message).toContain("does not match the namespace");

    const body = await mint();
    expect(body.metadata.name).toBe(SA);
    expect(body.metadata.namespace).toBe(NS);
    expect(body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const { payload } = decodeJwt(body.status.token);
    expect(payload.sub).toBe(`system:serviceaccount:${NS}:${SA}`);
    expect(payload.aud).toEqual(["api"]);
    expect(payload["kubernetes.io"]).toEqual({ namespace: NS, serviceaccount: { name: SA, uid: saUid } });
    expect(await review(body.status.token)).toEqual({
      authenticated: true,
      user: user(saUid, jtiExtra(body.status.token)),
      audiences: ["api"],
    });
    await deleteSa();
    expect(await review(body.status.token)).toEqual({ user: {}, error: `serviceaccounts "${SA}" not found` });
  });

  it("bound to service account and pod", async () => {
    const noSa = await requestToken(NS, SA, { boundObjectRef: podRef("test-pod") });
    expect(noSa.status).toBe(404);
    expect(noSa.json().message).toBe(`serviceaccounts "${SA}" not found`);
    const saUid = await createSa();
    const noPod = await requestToken(NS, SA, { boundObjectRef: podRef("test-pod") });
    expect(noPod.status).toBe(404);
    expect(noPod.json().message).toBe('pods "test-pod" not found');
    const podUid = await createPod();

    expect((await requestToken(NS, SA, { boundObjectRef: podRef("test-pod", podUid) })).status).toBe(201);
    const wrong = await requestToken(NS, SA, { boundObjectRef: podRef("test-pod", "a-wrong-uid") });
    expect(wrong.status).toBe(409);
    const body = await mint({ boundObjectRef: podRef("test-pod", "") });
    const token: string = body.status.token;
    const claims = decodeJwt(token).payload["kubernetes.io"];
    expect(claims.pod).toEqual({ name: "test-pod", uid: podUid });
    expect(claims.node).toBeUndefined();
    expect(claims.secret).toBeUndefined();
    expect((await review(token)).user.extra).toEqual({
      ...jtiExtra(token),
      "authentication.kubernetes.io/pod-name": ["test-pod"],
      "authentication.kubernetes.io/pod-uid": [podUid],
    });
    expect((await review(token)).user).toEqual(
      user(saUid, {
        ...jtiExtra(token),
        "authentication.kubernetes.io/pod-name": ["test-pod"],
        "authentication.kubernetes.io/pod-uid": [podUid],
      }),
    );
    await deletePod();
    expect(await review(token)).toEqual({ user: {}, error: "service account token has been invalidated" });
    await deleteSa();
  });

  it("bound to a pod with an assigned nodeName that does not exist, then one that does", async () => {
    const saUid = await createSa();
    const podUid = await createPod("test-pod", { nodeName: "test-node" });
    const missing = (await mint({ boundObjectRef: podRef("test-pod") })).status.token;
    expect(decodeJwt(missing).payload["kubernetes.io"].node).toEqual({ name: "test-node" });
    expect((await review(missing)).user).toEqual(
      user(saUid, {
        ...jtiExtra(missing),
        "authentication.kubernetes.io/node-name": ["test-node"],
        "authentication.kubernetes.io/pod-name": ["test-pod"],
        "authentication.kubernetes.io/pod-uid": [podUid],
      }),
    );
    const nodeUid = await make("/api/v1/nodes", { metadata: { name: "test-node" } });
    const present = (await mint({ boundObjectRef: podRef("test-pod") })).status.token;
    expect(decodeJwt(present).payload["kubernetes.io"].node).toEqual({ name: "test-node", uid: nodeUid });
    expect((await review(present)).user).toEqual(
      user(saUid, {
        ...jtiExtra(present),
        "authentication.kubernetes.io/node-name": ["test-node"],
        "authentication.kubernetes.io/node-uid": [nodeUid],
        "authentication.kubernetes.io/pod-name": ["test-pod"],
        "authentication.kubernetes.io/pod-uid": [podUid],
      }),
    );
    await deletePod();
    await deleteSa();
  });

  it("bound to service account and node: valid until the node is deleted", async () => {
    await createSa();
    const body = await mint({ boundObjectRef: { kind: "Node", apiVersion: "v1", name: "test-node" } });
    const claims = decodeJwt(body.status.token).payload["kubernetes.io"];
    expect(claims.pod).toBeUndefined();
    expect(claims.node.name).toBe("test-node");
    expect((await review(body.status.token)).authenticated).toBe(true);
    expect((await api.delete("/api/v1/nodes/test-node")).status).toBe(200);
    expect(await review(body.status.token)).toEqual({
      user: {},
      error: "service account token has been invalidated",
    });
    await deleteSa();
  });

  it("bound to service account and secret: valid until the secret is deleted, invalid after it is recreated", async () => {
    await createSa();
    const secretUid = await make(path(NS, "secrets"), { metadata: { name: "test-secret" } });
    const body = await mint({ boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "test-secret" } });
    const claims = decodeJwt(body.status.token).payload["kubernetes.io"];
    expect(claims.secret).toEqual({ name: "test-secret", uid: secretUid });
    expect((await review(body.status.token)).authenticated).toBe(true);
    expect((await api.delete(path(NS, "secrets/test-secret"))).status).toBe(200);
    expect(await review(body.status.token)).toEqual({
      user: {},
      error: "service account token has been invalidated",
    });
    const recreated = await make(path(NS, "secrets"), { metadata: { name: "test-secret" } });
    expect(await review(body.status.token)).toEqual({
      user: {},
      error: `secret UID (${recreated}) does not match service account secret ref claim (${secretUid})`,
    });
    await deleteSa();
  });

  it("a pod running as a different service account", async () => {
    await createSa();
    await make(path(NS, "serviceaccounts"), { metadata: { name: "other-test-svcacct" } });
    await createPod("other-test-pod", {}, "other-test-svcacct");
    const r = await requestToken(NS, SA, { boundObjectRef: podRef("other-test-pod") });
    expect(r.status).toBe(400);
    expect(r.json().message).toBe(
      `cannot bind token for serviceaccount "${SA}" to pod running with different serviceaccount name.`,
    );
    await deleteSa();
  });

  it("an expired token (exp = now − 1h, iat = now − 2h)", async () => {
    const saUid = await createSa();
    const now = nowSeconds();
    const claims = {
      ...boundClaims({
        issuer: ISSUER,
        audiences: ["api"],
        serviceAccount: { namespace: NS, name: SA, uid: saUid },
        expirationSeconds: 3600,
        now: now - 7200,
        jti: randomJti(),
      }),
    };
    const token = signToken(key(), claims);
    expect(await review(token)).toEqual({ user: {}, error: "service account token has expired" });
    await deleteSa();
  });

  it("an expiration-extended token, and none for other audiences", async () => {
    await createSa();
    await createPod();
    const now = nowSeconds();
    const body = await mint({ expirationSeconds: 3607, boundObjectRef: podRef("test-pod") });
    const { payload } = decodeJwt(body.status.token);
    expect(Math.abs(payload.exp - (now + YEAR))).toBeLessThanOrEqual(2);
    expect(Math.abs(payload["kubernetes.io"].warnafter - (now + 3607))).toBeLessThanOrEqual(2);
    expect(body.spec.expirationSeconds).toBe(3607);
    expect(Math.abs(Date.parse(body.status.expirationTimestamp) / 1000 - (now + 3607))).toBeLessThanOrEqual(
      2,
    );

    const other = await mint({
      expirationSeconds: 3607,
      audiences: ["not-the-api", "api"],
      boundObjectRef: podRef("test-pod"),
    });
    const p = decodeJwt(other.status.token).payload;
    expect(p["kubernetes.io"].warnafter).toBeUndefined();
    expect(Math.abs(p.exp - (now + 3600))).toBeLessThanOrEqual(10);
    await deletePod();
    await deleteSa();
  });

  it("a token without an API audience is invalid; one without audiences is valid for the API", async () => {
    await createSa();
    const foreign = await mint({ audiences: ["not-the-api"] });
    expect(await review(foreign.status.token)).toEqual({
      user: {},
      error: 'token audiences ["not-the-api"] is invalid for the target audiences ["api"]',
    });
    const plain = await mint();
    expect(decodeJwt(plain.status.token).payload.aud).toEqual(["api"]);
    expect((await review(plain.status.token)).authenticated).toBe(true);
    await deleteSa();
  });

  it("invalid after recreating a pod of the same name", async () => {
    await createSa();
    const oldUid = await createPod();
    const token = (await mint({ boundObjectRef: podRef("test-pod") })).status.token;
    expect((await review(token)).authenticated).toBe(true);
    await deletePod();
    const newUid = await createPod();
    expect(await review(token)).toEqual({
      user: {},
      error: `pod UID (${newUid}) does not match service account pod ref claim (${oldUid})`,
    });
    await deletePod();
    await deleteSa();
  });

  it("within the maximum: unchanged; out of range: exactly one warning, shortened", async () => {
    await createSa();
    const within = await requestToken(NS, SA, { expirationSeconds: 7200 - 600 });
    expect(within.headers.warning).toBeUndefined();
    expect(within.json().spec.expirationSeconds).toBe(6600);
    const over = await requestToken(NS, SA, { expirationSeconds: 7200 + 600 });
    expect(over.headers.warning).toBe(
      '299 - "requested expiration of 7800 seconds shortened to 7200 seconds"',
    );
    expect(over.json().spec.expirationSeconds).toBe(7200);
    await deleteSa();
  });

  it("valid against the HTTP-provided service account issuer metadata", async () => {
    await createSa();
    const token: string = (await mint()).status.token;
    const discovery = await api.get("/.well-known/openid-configuration");
    expect(discovery.status).toBe(200);
    expect(discovery.headers["content-type"]).toBe("application/json");
    expect(discovery.headers["cache-control"]).toBe("public, max-age=3600");
    const jwksUri = `https://127.0.0.1:${stack.ports.apiserver.https}/openid/v1/jwks`;
    expect(discovery.body).toBe(
      `{"issuer":"${ISSUER}","jwks_uri":"${jwksUri}","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}`,
    );
    const jwks = await api.get(new URL(jwksUri).pathname);
    expect(jwks.status).toBe(200);
    expect(jwks.headers["content-type"]).toBe("application/jwk-set+json");
    expect(jwks.headers["cache-control"]).toBe("public, max-age=3600");
    const keys = jwks.json().keys;
    expect(keys).toHaveLength(1);
    const verified = await jose.jwtVerify(token, jose.createLocalJWKSet({ keys }), {
      issuer: ISSUER,
      audience: "api",
      algorithms: ["RS256"],
    });
    expect(verified.payload.iss).toBe(ISSUER);
    expect(verified.protectedHeader.kid).toBe(keys[0].kid);
    await deleteSa();
  });

  it("service account UID validation: right uid, wrong uid (409), empty uid filled in", async () => {
    const saUid = await createSa();
    const right = await requestToken(NS, SA, {}, { uid: saUid });
    expect(right.status).toBe(201);
    const wrong = await requestToken(NS, SA, {}, { uid: "a-wrong-uid" });
    expect(wrong.status).toBe(409);
    expect(wrong.json().message).toBe(
      `Operation cannot be fulfilled on TokenRequest.authentication.k8s.io "${SA}": the UID in the token request (a-wrong-uid) does not match the UID of the service account (${saUid})`,
    );
    const empty = await requestToken(NS, SA, {}, { uid: "" });
    expect(empty.status).toBe(201);
    expect(empty.json().metadata.uid).toBe(saUid);
    await deleteSa();
  });

  it("TestServiceAccountAnnotationDeprecation: one warning for the annotation, none for a pod using the account", async () => {
    const r = await api.post(path(NS, "serviceaccounts"), {
      metadata: { name: "deprecated", annotations: { "kubernetes.io/enforce-mountable-secrets": "true" } },
    });
    expect(r.status).toBe(201);
    expect(r.headers.warning).toBe(
      '299 - "metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets"',
    );
    const pod = await api.post(path(NS, "pods"), {
      metadata: { name: "uses-deprecated" },
      spec: { serviceAccountName: "deprecated", containers: container },
    });
    expect(pod.status).toBe(201);
    expect(pod.headers.warning).toBeUndefined();
  });
});

describe("§2.4 flags: the apiserver restarted with other expiration settings", () => {
  const NS = "flags";
  /** Restarts the apiserver with `flags` instead of this file's own (same state directory). */
  // `stack.start` builds the command line from `stack.settings` each time, so changing its
  // extraArgs between a stop and a start restarts the same process (same state) with other flags.
  async function restartWith(flags: string[]): Promise<void> {
    await stack.stop("apiserver");
    stack.settings.extraArgs = { apiserver: flags };
    await stack.start("apiserver");
  }

  beforeAll(async () => {
    await make("/api/v1/namespaces", { metadata: { name: NS } });
    await make(path(NS, "serviceaccounts"), { metadata: { name: "sa" } });
    await make(path(NS, "pods"), {
      metadata: { name: "pod" },
      spec: { serviceAccountName: "sa", containers: container },
    });
  });

  afterAll(async () => {
    await restartWith([...APISERVER_FLAGS]);
  });

  it("a maximum outside [1h, 2^32 s] is refused at start", async () => {
    await stack.stop("apiserver");
    stack.settings.extraArgs = {
      apiserver: [...APISERVER_FLAGS, "--service-account-max-token-expiration=30m"],
    };
    const seen = stack.logs("apiserver").length;
    await expect(stack.start("apiserver")).rejects.toThrow();
    const output = stack.logs("apiserver").slice(seen).join("\n");
    expect(output).toContain(
      "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds",
    );
  });

  /** The `msg` of the warnings the apiserver logged since line `from`. */
  const loggedWarnings = (from: number) =>
    stack
      .logs("apiserver")
      .slice(from)
      .flatMap((line) => {
        try {
          const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
          return entry.level === 40 || entry.level === "warn" ? [String(entry.msg)] : [];
        } catch {
          return [];
        }
      });

  it("a maximum of 1h clamps 3607 to 3600 first, so nothing is extended (and start-up says so)", async () => {
    const seen = stack.logs("apiserver").length;
    await restartWith([...APISERVER_FLAGS, "--service-account-max-token-expiration=1h"]);
    expect(loggedWarnings(seen)).toEqual(
      expect.arrayContaining([
        "service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, service-account-max-token-expiration must be set longer than 3607 seconds (currently 1h0m0s)",
        "service-account-extend-token-expiration is true, enabling tokens valid up to 31536000 seconds, which is longer than service-account-max-token-expiration set to 1h0m0s seconds",
      ]),
    );
    const r = await requestToken(NS, "sa", { expirationSeconds: 3607, boundObjectRef: podRef("pod") });
    expect(r.status).toBe(201);
    expect(r.headers.warning).toBe('299 - "requested expiration of 3607 seconds shortened to 3600 seconds"');
    const { payload } = decodeJwt(r.json().status.token);
    expect(payload.exp - payload.iat).toBe(3600);
    expect(payload["kubernetes.io"].warnafter).toBeUndefined();
  });

  it("--service-account-extend-token-expiration=false: 3607 stays 3607", async () => {
    await restartWith([...APISERVER_FLAGS, "--service-account-extend-token-expiration=false"]);
    const r = await requestToken(NS, "sa", { expirationSeconds: 3607, boundObjectRef: podRef("pod") });
    expect(r.status).toBe(201);
    const { payload } = decodeJwt(r.json().status.token);
    expect(payload.exp - payload.iat).toBe(3607);
    expect(payload["kubernetes.io"].warnafter).toBeUndefined();
  });
});
