/**
 * Service account token authentication of the real apiserver process (reference §1.3–§1.8): each
 * rule's exact error text through TokenReview (`status.error`, `authenticated`, `user`,
 * `audiences`), and the same token used as a bearer on a real request — 401 with Kubernetes' bare
 * body and nothing of the reason leaked, or, when accepted, the same user info from
 * SelfSubjectReview. One table per reference section.
 *
 * Tokens are made at run time: valid bound tokens from TokenRequest, and tokens signed here with
 * the stack's own service-account key (or another key) to reach every branch — expired,
 * not-yet-valid, issued-in-future, wrong uid, missing object, foreign issuer, wrong audience,
 * unknown kid, other key. Legacy tokens live in token Secrets made here as the tokens controller
 * would (it is not running: an apiserver-only stack, ServiceAccount admission off as in
 * Kubernetes' integration test, reference §2.5). The 60 s deletion grace is shortened with the
 * test-only `--service-account-token-deletion-grace=3s`; the token cache is off
 * (`--token-success-cache-ttl=0s`) so every answer is the validators' own.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  boundClaims,
  generateSigningKey,
  legacyClaims,
  parseSigningKeyPem,
  publicKeyPem,
  randomJti,
  type SigningKey,
  signToken,
} from "@tokenplane/crypto";
import { startTestStack, type TestStack } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiClient,
  apiClient,
  decodeJwt,
  eventually,
  failureStatus,
  type Json,
  nowSeconds,
  UNAUTHORIZED_BODY,
} from "./support/api-client.js";

const ISSUER = "https://foo.bar.example.com";
const SECOND_ISSUER = "https://second.example.com";
const NS = "myns";
const SA = "test-svcacct";
const GRACE_SECONDS = 3;

const TOKENREVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
const SELF_SUBJECT_REVIEWS = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
const ns = (resource: string) => `/api/v1/namespaces/${NS}/${resource}`;

const EXTRA = {
  podName: "authentication.kubernetes.io/pod-name",
  podUid: "authentication.kubernetes.io/pod-uid",
  nodeName: "authentication.kubernetes.io/node-name",
  nodeUid: "authentication.kubernetes.io/node-uid",
  credentialId: "authentication.kubernetes.io/credential-id",
} as const;

let stack: TestStack;
let api: ApiClient;
/** The stack's own signing key (`--service-account-signing-key-file`). */
let saKey: SigningKey;
/** A key the apiserver does not know. */
let otherKey: SigningKey;
/** An ES256 key whose public half is in a second `--service-account-key-file` (a rotated-in key). */
let extraKey: SigningKey;
let keyDir: string;
const uids: Record<string, string> = {};

/** Creates an object in `myns` (or cluster-scoped with a full path) and records its uid. */
async function make(path: string, body: Record<string, unknown>): Promise<string> {
  const created = await api.create(path, body);
  uids[created.metadata.name] = created.metadata.uid;
  return created.metadata.uid;
}

/** A TokenRequest for `sa` (default the test account) bound to `ref`; returns the token. */
async function mint(ref?: { kind: string; name: string }, sa = SA): Promise<string> {
  const r = await api.post(ns(`serviceaccounts/${sa}/token`), {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: ref ? { boundObjectRef: { ...ref, apiVersion: "v1" } } : {},
  });
  expect(r.status, r.body).toBe(201);
  return r.json().status.token;
}

type Claims = Record<string, unknown> & { "kubernetes.io": Record<string, unknown> };

/** Bound claims for the test account valid now (1 h), edited by `edit`, signed with `key`. */
function craft(edit: (claims: Claims) => void = () => {}, key: SigningKey = saKey): string {
  const claims = JSON.parse(
    JSON.stringify(
      boundClaims({
        issuer: ISSUER,
        audiences: ["api"],
        serviceAccount: { namespace: NS, name: SA, uid: uids[SA]! },
        expirationSeconds: 3600,
        now: nowSeconds(),
        jti: randomJti(),
      }),
    ),
  ) as Claims;
  edit(claims);
  return signToken(key, claims);
}

/** A legacy token for `sa` kept in Secret `secret` (claims edited by `edit`). */
function legacyToken(
  sa: { name: string; uid: string },
  secret: string,
  edit: (claims: Record<string, unknown>) => void = () => {},
): string {
  const claims = { ...legacyClaims({ namespace: NS, ...sa }, { name: secret }) } as Record<string, unknown>;
  edit(claims);
  return signToken(saKey, claims);
}

/** A token Secret as the tokens controller would write it (reference §4.2, §9.4). */
async function makeTokenSecret(
  name: string,
  sa: { name: string; uid: string },
  token: string,
  extra: { labels?: Record<string, string>; finalizers?: string[] } = {},
): Promise<string> {
  return make(ns("secrets"), {
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/service-account-token",
    metadata: {
      name,
      annotations: {
        "kubernetes.io/service-account.name": sa.name,
        "kubernetes.io/service-account.uid": sa.uid,
      },
      ...extra,
    },
    data: {
      token: Buffer.from(token).toString("base64"),
      namespace: Buffer.from(NS).toString("base64"),
    },
  });
}

/** The `status` of a TokenReview of `token` (201 expected). */
async function review(token: string, audiences?: string[]): Promise<Json> {
  const r = await api.post(TOKENREVIEWS, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenReview",
    spec: { token, ...(audiences ? { audiences } : {}) },
  });
  expect(r.status, r.body).toBe(201);
  return r.json().status;
}

/** TokenReview says `error` (user empty, not authenticated) and a request bearing it gets the bare 401. */
async function expectRejected(token: string, error: string, audiences?: string[]): Promise<void> {
  expect(await review(token, audiences)).toEqual({ user: {}, error });
  if (audiences !== undefined) return; // a request is always for the API audiences
  const r = await api.get(ns("serviceaccounts"), { token });
  expect(r.status).toBe(401);
  expect(r.headers["content-type"]).toBe("application/json");
  expect(r.body).toBe(UNAUTHORIZED_BODY);
  expect(r.headers.warning).toBeUndefined();
  expect(r.headers["www-authenticate"]).toBeUndefined();
}

interface User {
  username: string;
  uid: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The user info of a service account of `myns` (reference §1.7), with `system:authenticated`. */
function saUser(name: string, uid: string, extra?: Record<string, string[]>): User {
  return {
    username: `system:serviceaccount:${NS}:${name}`,
    uid,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${NS}`, "system:authenticated"],
    ...(extra ? { extra } : {}),
  };
}

/** TokenReview accepts `token` as `user` for `audiences`; a request bearing it is that user. */
async function expectAccepted(
  token: string,
  user: User,
  options: { audiences?: string[]; requested?: string[] } = {},
): Promise<void> {
  expect(await review(token, options.requested)).toEqual({
    authenticated: true,
    user,
    audiences: options.audiences ?? ["api"],
  });
  if (options.requested !== undefined) return;
  const r = await api.post(
    SELF_SUBJECT_REVIEWS,
    { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    { token },
  );
  expect(r.status, r.body).toBe(201);
  expect(r.json().status.userInfo).toEqual(user);
}

function credentialId(token: string): Record<string, string[]> {
  return { [EXTRA.credentialId]: [`JTI=${decodeJwt(token).payload.jti}`] };
}

/** Waits until `seconds` have passed since `rfc3339` (a deletionTimestamp, whole seconds). */
async function waitPast(rfc3339: string, seconds: number): Promise<void> {
  const until = Date.parse(rfc3339) + seconds * 1000 + 1100; // +1.1 s: strictly past, whole-second stamps
  const wait = until - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

const NOT_MINE = "invalid bearer token";

beforeAll(async () => {
  extraKey = generateSigningKey("ES256");
  keyDir = mkdtempSync(path.join(tmpdir(), "tokenplane-e2e-keys-"));
  writeFileSync(path.join(keyDir, "extra.pub"), publicKeyPem(extraKey));
  stack = await startTestStack({
    services: ["apiserver"],
    issuers: [ISSUER, SECOND_ISSUER],
    extraArgs: {
      apiserver: [
        "--admission-address=",
        "--api-audiences=api",
        "--service-account-max-token-expiration=2h",
        "--token-success-cache-ttl=0s",
        `--service-account-token-deletion-grace=${GRACE_SECONDS}s`,
        `--service-account-key-file=${path.join(keyDir, "extra.pub")}`,
      ],
    },
  });
  api = apiClient(stack);
  saKey = parseSigningKeyPem(readFileSync(stack.layout.serviceAccountKey));
  otherKey = generateSigningKey("RS256");
  await make("/api/v1/namespaces", { metadata: { name: NS } });
  await make(ns("serviceaccounts"), { metadata: { name: SA } });
  await make("/api/v1/nodes", { metadata: { name: "test-node" } });
  const container = [{ name: "c", image: "busybox" }];
  await make(ns("pods"), {
    metadata: { name: "test-pod" },
    spec: { serviceAccountName: SA, nodeName: "test-node", containers: container },
  });
  await make(ns("pods"), {
    metadata: { name: "unscheduled-pod" },
    spec: { serviceAccountName: SA, containers: container },
  });
  await make(ns("pods"), {
    metadata: { name: "pod-on-missing-node" },
    spec: { serviceAccountName: SA, nodeName: "missing-node", containers: container },
  });
  await make(ns("secrets"), { metadata: { name: "test-secret" }, data: {} });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

describe("§1.4 the JWT authenticator, step by step", () => {
  const cases: { name: string; token: () => string; error?: string; audiences?: string[] }[] = [
    { name: "not a JWT at all → not mine", token: () => "not-a-jwt", error: NOT_MINE },
    {
      name: "a JSON-serialized JWS (starts with '{') → not mine",
      token: () => {
        const [h, p, s] = craft().split(".");
        return JSON.stringify({ protected: h, payload: p, signature: s });
      },
      error: NOT_MINE,
    },
    {
      name: "two parts → not mine",
      token: () => craft().split(".").slice(0, 2).join("."),
      error: NOT_MINE,
    },
    {
      name: "padded base64 payload → not mine",
      token: () => {
        const [h, p, s] = craft().split(".");
        return `${h}.${p}=.${s}`;
      },
      error: NOT_MINE,
    },
    {
      name: "a header that is not base64url JSON (ParseSigned fails) → not mine",
      token: () => {
        const [, p, s] = craft().split(".");
        return `not-json.${p}.${s}`;
      },
      error: NOT_MINE,
    },
    {
      name: "an issuer nobody accepts, signed with the right key → not mine",
      token: () =>
        craft((c) => {
          c.iss = "https://other.example.com";
        }),
      error: NOT_MINE,
    },
    {
      name: "a kid that names no key → no keys found",
      token: () => craft(() => {}, { ...saKey, kid: "unknown-kid" }),
      error: "invalid signature, no keys found",
    },
    {
      name: "another key under the cluster key's kid → the signature fails",
      token: () => craft(() => {}, { ...otherKey, kid: saKey.kid }),
      error: "go-jose/go-jose: error in cryptographic primitive",
    },
    {
      name: "another key with its own kid → no keys found",
      token: () => craft(() => {}, otherKey),
      error: "invalid signature, no keys found",
    },
    {
      name: "no kid, an unknown key: every configured key fails (Kubernetes' aggregate, in key order)",
      token: () => craft(() => {}, { ...otherKey, kid: "" }),
      error:
        "[go-jose/go-jose: error in cryptographic primitive, go-jose/go-jose: unknown/unsupported algorithm]",
    },
    {
      name: "alg none with the cluster kid and no signature → refused",
      token: () => {
        const [, p] = craft().split(".");
        const h = Buffer.from(JSON.stringify({ alg: "none", kid: saKey.kid })).toString("base64url");
        return `${h}.${p}.`;
      },
      error: "go-jose/go-jose: unknown/unsupported algorithm",
    },
    {
      name: "a signed exp that is not a number: go-jose's claim decoding error",
      token: () =>
        craft((c) => {
          c.exp = "soon";
        }),
      error: "go-jose/go-jose/jwt: expected number value to unmarshal NumericDate",
    },
    {
      name: "a signed aud that is neither string nor list: go-jose's claim decoding error",
      token: () =>
        craft((c) => {
          c.aud = 42;
        }),
      error: "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience",
    },
    {
      name: "an audience that is not the API's",
      token: () =>
        craft((c) => {
          c.aud = ["not-the-api"];
        }),
      error: 'token audiences ["not-the-api"] is invalid for the target audiences ["api"]',
    },
    {
      name: "TokenReview audiences the token does not have (Go %q list format)",
      token: () =>
        craft((c) => {
          c.aud = ["b", "api"];
        }),
      audiences: ["c", "d"],
      error: 'token audiences ["b" "api"] is invalid for the target audiences ["c" "d"]',
    },
  ];
  it.each(cases)("$name", async ({ token, error, audiences }) => {
    await expectRejected(token(), error!, audiences);
  });

  it("accepts the cluster's tokens: a TokenRequest token, a rotated-in key, the second issuer, no aud (API audiences), requested order", async () => {
    const minted = await mint();
    expect(decodeJwt(minted).payload.iss).toBe(ISSUER);
    await expectAccepted(minted, saUser(SA, uids[SA]!, credentialId(minted)));

    // every key of every --service-account-key-file verifies: with its kid, and without one
    for (const key of [extraKey, { ...extraKey, kid: "" }, { ...saKey, kid: "" }]) {
      const rotated = craft((c) => {
        delete c.jti;
      }, key);
      expect(decodeJwt(rotated).header).toEqual({ alg: key.alg, kid: key.kid });
      await expectAccepted(rotated, saUser(SA, uids[SA]!));
    }

    const second = craft((c) => {
      c.iss = SECOND_ISSUER;
      delete c.jti;
    });
    await expectAccepted(second, saUser(SA, uids[SA]!));

    // no aud → legacy semantics: the implicit API audiences
    const noAud = craft((c) => {
      delete c.aud;
      delete c.jti;
    });
    await expectAccepted(noAud, saUser(SA, uids[SA]!));
    await expectRejected(noAud, 'token audiences ["api"] is invalid for the target audiences ["x"]', ["x"]);

    // a single aud string is a one-element list (go-jose Audience)
    const single = craft((c) => {
      c.aud = "api";
      delete c.jti;
    });
    await expectAccepted(single, saUser(SA, uids[SA]!));

    // the intersection keeps the requested order
    const many = craft((c) => {
      c.aud = ["b", "api", "c"];
      delete c.jti;
    });
    await expectAccepted(many, saUser(SA, uids[SA]!), {
      requested: ["c", "nope", "b"],
      audiences: ["c", "b"],
    });
  });
});

describe("§1.5 the bound-token validator", () => {
  const t = () => nowSeconds();
  const cases: { name: string; edit: (c: Claims) => void; error?: string }[] = [
    {
      name: "expired an hour ago",
      edit: (c) => Object.assign(c, { iat: t() - 7200, nbf: t() - 7200, exp: t() - 3600 }),
      error: "service account token has expired",
    },
    {
      name: "expired 30 s ago: inside the 60 s leeway",
      edit: (c) => Object.assign(c, { iat: t() - 700, nbf: t() - 700, exp: t() - 30 }),
    },
    {
      name: "not valid for another hour",
      edit: (c) => Object.assign(c, { nbf: t() + 3600, exp: t() + 7200 }),
      error: "service account token is not valid yet",
    },
    {
      name: "not valid for 30 s: inside the leeway",
      edit: (c) => Object.assign(c, { nbf: t() + 30 }),
    },
    {
      name: "not yet valid and expired: nbf is checked first",
      edit: (c) => Object.assign(c, { nbf: t() + 3600, exp: t() - 3600 }),
      error: "service account token is not valid yet",
    },
    {
      name: "issued an hour in the future",
      edit: (c) => Object.assign(c, { iat: t() + 3600, exp: t() + 7200 }),
      error: "service account token is issued in the future",
    },
    {
      name: "no exp, nbf or iat: nothing time-based to check",
      edit: (c) => {
        delete c.exp;
        delete c.nbf;
        delete c.iat;
      },
    },
    {
      name: "a service account that does not exist (getter error verbatim)",
      edit: (c) => {
        c["kubernetes.io"].serviceaccount = { name: "nobody", uid: "x" };
      },
      error: 'serviceaccounts "nobody" not found',
    },
    {
      name: "the service account's uid differs",
      edit: (c) => {
        c["kubernetes.io"].serviceaccount = { name: SA, uid: "wrong-uid" };
      },
      error: "service account UID (<test-svcacct>) does not match claim (wrong-uid)",
    },
    {
      name: "a pod that does not exist",
      edit: (c) => {
        c["kubernetes.io"].pod = { name: "no-pod", uid: "x" };
      },
      error: "service account token has been invalidated",
    },
    {
      name: "the pod's uid differs",
      edit: (c) => {
        c["kubernetes.io"].pod = { name: "test-pod", uid: "wrong-pod-uid" };
      },
      error: "pod UID (<test-pod>) does not match service account pod ref claim (wrong-pod-uid)",
    },
    {
      name: "a secret that does not exist",
      edit: (c) => {
        c["kubernetes.io"].secret = { name: "no-secret", uid: "x" };
      },
      error: "service account token has been invalidated",
    },
    {
      name: "the secret's uid differs",
      edit: (c) => {
        c["kubernetes.io"].secret = { name: "test-secret", uid: "wrong-secret-uid" };
      },
      error: "secret UID (<test-secret>) does not match service account secret ref claim (wrong-secret-uid)",
    },
    {
      name: "a node that does not exist",
      edit: (c) => {
        c["kubernetes.io"].node = { name: "no-node", uid: "x" };
      },
      error: "service account token has been invalidated",
    },
    {
      name: "the node's uid differs",
      edit: (c) => {
        c["kubernetes.io"].node = { name: "test-node", uid: "wrong-node-uid" };
      },
      error: "node UID (<test-node>) does not match service account node ref claim (wrong-node-uid)",
    },
    {
      name: "a pod's node is not looked up (a missing node is fine)",
      edit: (c) => {
        c["kubernetes.io"].pod = { name: "test-pod", uid: uids["test-pod"] };
        c["kubernetes.io"].node = { name: "no-node", uid: "any" };
      },
    },
    {
      name: "warnafter long past: audited, never rejected",
      edit: (c) => {
        c["kubernetes.io"].warnafter = t() - 86400;
      },
    },
    {
      name: "sub is ignored by the bound validator",
      edit: (c) => {
        c.sub = "system:serviceaccount:elsewhere:someone";
      },
    },
  ];
  it.each(cases)("$name", async ({ edit, error }) => {
    const token = craft(edit);
    if (error === undefined) {
      const claims = decodeJwt(token).payload["kubernetes.io"];
      const extra: Record<string, string[]> = { ...credentialId(token) };
      if (claims.pod)
        Object.assign(extra, { [EXTRA.podName]: [claims.pod.name], [EXTRA.podUid]: [claims.pod.uid] });
      if (claims.node)
        Object.assign(extra, { [EXTRA.nodeName]: [claims.node.name], [EXTRA.nodeUid]: [claims.node.uid] });
      await expectAccepted(token, saUser(SA, uids[SA]!, extra));
    } else {
      // `<name>` stands for the uid of the object created under that name
      const text = error.replace(/<([a-z-]+)>/, (_, name: string) => uids[name] ?? `<${name}>`);
      await expectRejected(token, text);
    }
  });

  it("a token bound to a pod is invalid once the pod is recreated under the same name", async () => {
    await make(ns("pods"), {
      metadata: { name: "recreated-pod" },
      spec: { serviceAccountName: SA, containers: [{ name: "c", image: "busybox" }] },
    });
    const oldUid = uids["recreated-pod"]!;
    const token = await mint({ kind: "Pod", name: "recreated-pod" });
    await expectAccepted(
      token,
      saUser(SA, uids[SA]!, {
        ...credentialId(token),
        [EXTRA.podName]: ["recreated-pod"],
        [EXTRA.podUid]: [oldUid],
      }),
    );
    // unscheduled: deleted at once
    expect((await api.delete(ns("pods/recreated-pod"))).status).toBe(200);
    await expectRejected(token, "service account token has been invalidated");
    const newUid = await make(ns("pods"), {
      metadata: { name: "recreated-pod" },
      spec: { serviceAccountName: SA, containers: [{ name: "c", image: "busybox" }] },
    });
    await expectRejected(
      token,
      `pod UID (${newUid}) does not match service account pod ref claim (${oldUid})`,
    );
  });
});

describe(`§1.5 the deletion grace (${GRACE_SECONDS}s here, 60 s in Kubernetes)`, () => {
  it("tokens from TokenRequest stay valid within the grace after deletionTimestamp and fail after it", async () => {
    const hold = ["example.com/hold"];
    const saUid = await make(ns("serviceaccounts"), { metadata: { name: "doomed-sa", finalizers: hold } });
    await make(ns("secrets"), { metadata: { name: "doomed-secret", finalizers: hold } });
    await make("/api/v1/nodes", { metadata: { name: "doomed-node", finalizers: hold } });
    await make(ns("pods"), {
      metadata: { name: "doomed-pod" },
      spec: { serviceAccountName: SA, nodeName: "test-node", containers: [{ name: "c", image: "busybox" }] },
    });
    const tokens = {
      sa: await mint(undefined, "doomed-sa"),
      secret: await mint({ kind: "Secret", name: "doomed-secret" }),
      node: await mint({ kind: "Node", name: "doomed-node" }),
      pod: await mint({ kind: "Pod", name: "doomed-pod" }),
    };
    const users = {
      sa: saUser("doomed-sa", saUid, credentialId(tokens.sa)),
      secret: saUser(SA, uids[SA]!, credentialId(tokens.secret)),
      node: saUser(SA, uids[SA]!, {
        ...credentialId(tokens.node),
        [EXTRA.nodeName]: ["doomed-node"],
        [EXTRA.nodeUid]: [uids["doomed-node"]!],
      }),
      pod: saUser(SA, uids[SA]!, {
        ...credentialId(tokens.pod),
        [EXTRA.nodeName]: ["test-node"],
        [EXTRA.nodeUid]: [uids["test-node"]!],
        [EXTRA.podName]: ["doomed-pod"],
        [EXTRA.podUid]: [uids["doomed-pod"]!],
      }),
    };

    // finalizers keep the three; the scheduled pod is deleted gracefully (1 s) and stays, as no kubelet runs
    const deleted = [
      await api.delete(ns("serviceaccounts/doomed-sa")),
      await api.delete(ns("secrets/doomed-secret")),
      await api.delete("/api/v1/nodes/doomed-node"),
      await api.delete(ns("pods/doomed-pod"), { gracePeriodSeconds: 1 }),
    ].map((r) => {
      expect(r.status, r.body).toBe(200);
      return r.json().metadata.deletionTimestamp as string;
    });
    expect(deleted.every((d) => typeof d === "string")).toBe(true);

    // within the grace: still valid
    for (const key of ["sa", "secret", "node", "pod"] as const) await expectAccepted(tokens[key], users[key]);

    await waitPast(deleted.sort().at(-1)!, GRACE_SECONDS);
    await expectRejected(tokens.sa, `service account ${NS}/doomed-sa has been deleted`);
    // [new] the uid is compared before the deletion is
    const wrongUid = craft((c) => {
      c["kubernetes.io"].serviceaccount = { name: "doomed-sa", uid: "wrong-uid" };
    });
    await expectRejected(wrongUid, `service account UID (${saUid}) does not match claim (wrong-uid)`);
    await expectRejected(tokens.secret, "service account token has been invalidated");
    await expectRejected(tokens.node, "service account token has been invalidated");
    await expectRejected(tokens.pod, "service account token has been invalidated");

    // release the finalizers: gone objects are just as invalid
    for (const path of [
      ns("serviceaccounts/doomed-sa"),
      ns("secrets/doomed-secret"),
      "/api/v1/nodes/doomed-node",
    ]) {
      expect((await api.mergePatch(path, { metadata: { finalizers: null } })).status).toBe(200);
    }
    await expectRejected(tokens.sa, 'serviceaccounts "doomed-sa" not found');
    await expectRejected(tokens.secret, "service account token has been invalidated");
  });
});

describe("§1.6 the legacy-token validator", () => {
  const LEGACY_SA = "legacy-sa";
  let legacySaUid: string;
  const claimNames = {
    sub: "sub claim is missing",
    "kubernetes.io/serviceaccount/namespace": "namespace claim is missing",
    "kubernetes.io/serviceaccount/secret.name": "secretName claim is missing",
    "kubernetes.io/serviceaccount/service-account.name": "serviceAccountName claim is missing",
    "kubernetes.io/serviceaccount/service-account.uid": "serviceAccountUID claim is missing",
  };

  beforeAll(async () => {
    legacySaUid = await make(ns("serviceaccounts"), { metadata: { name: LEGACY_SA } });
  });

  it("a token Secret's token authenticates as its service account: no extra, API audiences, last-used label", async () => {
    const sa = { name: LEGACY_SA, uid: legacySaUid };
    const token = legacyToken(sa, "legacy-sa-token");
    await makeTokenSecret("legacy-sa-token", sa, token);
    expect(decodeJwt(token).payload).toEqual({
      iss: "kubernetes/serviceaccount",
      sub: `system:serviceaccount:${NS}:${LEGACY_SA}`,
      "kubernetes.io/serviceaccount/namespace": NS,
      "kubernetes.io/serviceaccount/secret.name": "legacy-sa-token",
      "kubernetes.io/serviceaccount/service-account.name": LEGACY_SA,
      "kubernetes.io/serviceaccount/service-account.uid": legacySaUid,
    });
    await expectAccepted(token, saUser(LEGACY_SA, legacySaUid));
    // no aud → only the API audiences
    await expectRejected(token, 'token audiences ["api"] is invalid for the target audiences ["other"]', [
      "other",
    ]);
    // a manual secret: no warning
    const r = await api.post(
      SELF_SUBJECT_REVIEWS,
      { kind: "SelfSubjectReview", apiVersion: "authentication.k8s.io/v1" },
      { token },
    );
    expect(r.headers.warning).toBeUndefined();
    const today = new Date().toISOString().slice(0, 10);
    const labels = await eventually(async () => {
      const s = (await api.get(ns("secrets/legacy-sa-token"))).json();
      return s.metadata.labels?.["kubernetes.io/legacy-token-last-used"] ? s.metadata.labels : undefined;
    }, "the last-used label");
    expect(labels).toEqual({ "kubernetes.io/legacy-token-last-used": today });
  });

  it.each(Object.entries(claimNames))("without %s → %s", async (claim, error) => {
    const token = legacyToken({ name: LEGACY_SA, uid: legacySaUid }, "legacy-sa-token", (c) => {
      delete c[claim];
    });
    await expectRejected(token, error);
  });

  const cases: {
    name: string;
    setup: () => Promise<string>;
    error: (uid: string) => string;
  }[] = [
    {
      name: "sub names another account",
      setup: async () =>
        legacyToken({ name: LEGACY_SA, uid: legacySaUid }, "legacy-sa-token", (c) => {
          c.sub = `system:serviceaccount:${NS}:someone-else`;
        }),
      error: () => "sub claim is invalid",
    },
    {
      name: "sub is not a service account username",
      setup: async () =>
        legacyToken({ name: LEGACY_SA, uid: legacySaUid }, "legacy-sa-token", (c) => {
          c.sub = "admin";
        }),
      error: () => "sub claim is invalid",
    },
    {
      name: "its Secret does not exist",
      setup: async () => legacyToken({ name: LEGACY_SA, uid: legacySaUid }, "no-such-secret"),
      error: () => "Token has been invalidated",
    },
    {
      name: "its Secret holds another token",
      setup: async () => {
        const sa = { name: LEGACY_SA, uid: legacySaUid };
        await makeTokenSecret(
          "legacy-other-copy",
          sa,
          legacyToken(sa, "legacy-other-copy", (c) => {
            c.extra = "x";
          }),
        );
        return legacyToken(sa, "legacy-other-copy");
      },
      error: () => "Token does not match server's copy",
    },
    {
      name: "its service account does not exist",
      setup: async () => {
        const sa = { name: "gone-sa", uid: "gone-uid" };
        const token = legacyToken(sa, "gone-sa-token");
        await makeTokenSecret("gone-sa-token", sa, token);
        return token;
      },
      error: () => 'serviceaccounts "gone-sa" not found',
    },
    {
      name: "its service account was recreated (uid differs)",
      setup: async () => {
        const sa = { name: LEGACY_SA, uid: "old-uid" };
        const token = legacyToken(sa, "legacy-old-uid");
        await makeTokenSecret("legacy-old-uid", sa, token);
        return token;
      },
      error: () => `ServiceAccount UID (${legacySaUid}) does not match claim (old-uid)`,
    },
    {
      name: "its Secret is marked invalid",
      setup: async () => {
        const sa = { name: LEGACY_SA, uid: legacySaUid };
        const token = legacyToken(sa, "legacy-invalid");
        await makeTokenSecret("legacy-invalid", sa, token, {
          labels: { "kubernetes.io/legacy-token-invalid-since": "2024-01-01" },
        });
        return token;
      },
      error: () =>
        `the token in secret ${NS}/legacy-invalid for service account ${NS}/${LEGACY_SA} has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the 'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token`,
    },
    {
      name: "its Secret is being deleted: no grace for legacy tokens",
      setup: async () => {
        const sa = { name: LEGACY_SA, uid: legacySaUid };
        const token = legacyToken(sa, "legacy-deleting");
        await makeTokenSecret("legacy-deleting", sa, token, { finalizers: ["example.com/hold"] });
        expect((await api.delete(ns("secrets/legacy-deleting"))).status).toBe(200);
        return token;
      },
      error: () => "Token has been invalidated",
    },
    {
      name: "its service account is being deleted: no grace",
      setup: async () => {
        const uid = await make(ns("serviceaccounts"), {
          metadata: { name: "legacy-deleting-sa", finalizers: ["example.com/hold"] },
        });
        const sa = { name: "legacy-deleting-sa", uid };
        const token = legacyToken(sa, "legacy-deleting-sa-token");
        await makeTokenSecret("legacy-deleting-sa-token", sa, token);
        expect((await api.delete(ns("serviceaccounts/legacy-deleting-sa"))).status).toBe(200);
        return token;
      },
      error: () => `ServiceAccount ${NS}/legacy-deleting-sa has been deleted`,
    },
    {
      name: "its service account is being deleted and its uid differs: deletion is checked first",
      setup: async () => {
        const sa = { name: "legacy-deleting-sa", uid: "old-uid" };
        const token = legacyToken(sa, "legacy-deleting-sa-old-uid");
        await makeTokenSecret("legacy-deleting-sa-old-uid", sa, token);
        return token;
      },
      error: () => `ServiceAccount ${NS}/legacy-deleting-sa has been deleted`,
    },
  ];
  it.each(cases)("$name", async ({ setup, error }) => {
    const token = await setup();
    await expectRejected(token, error(legacySaUid));
  });

  it("an auto-generated token Secret (listed in the account's secrets) warns on use", async () => {
    const uid = await make(ns("serviceaccounts"), {
      metadata: { name: "auto-sa" },
      secrets: [{ name: "auto-sa-token" }],
    });
    const sa = { name: "auto-sa", uid };
    const token = legacyToken(sa, "auto-sa-token");
    await makeTokenSecret("auto-sa-token", sa, token);
    const r = await api.post(
      SELF_SUBJECT_REVIEWS,
      { kind: "SelfSubjectReview", apiVersion: "authentication.k8s.io/v1" },
      { token },
    );
    expect(r.status).toBe(201);
    expect(r.json().status.userInfo).toEqual(saUser("auto-sa", uid));
    expect(r.headers.warning).toBe(
      '299 - "Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens."',
    );
  });
});

describe("§1.7 the user info of each kind of token", () => {
  it("service account only: username, uid, groups, credential-id", async () => {
    const token = await mint();
    await expectAccepted(token, saUser(SA, uids[SA]!, credentialId(token)));
    const noJti = craft((c) => {
      delete c.jti;
    });
    await expectAccepted(noJti, saUser(SA, uids[SA]!));
  });

  it("bound to a scheduled pod whose node exists: pod-name, pod-uid, node-name, node-uid", async () => {
    const token = await mint({ kind: "Pod", name: "test-pod" });
    await expectAccepted(
      token,
      saUser(SA, uids[SA]!, {
        [EXTRA.credentialId]: [`JTI=${decodeJwt(token).payload.jti}`],
        [EXTRA.nodeName]: ["test-node"],
        [EXTRA.nodeUid]: [uids["test-node"]!],
        [EXTRA.podName]: ["test-pod"],
        [EXTRA.podUid]: [uids["test-pod"]!],
      }),
    );
  });

  it("bound to a pod on a node that does not exist: node-name without node-uid", async () => {
    const token = await mint({ kind: "Pod", name: "pod-on-missing-node" });
    expect(decodeJwt(token).payload["kubernetes.io"].node).toEqual({ name: "missing-node" });
    await expectAccepted(
      token,
      saUser(SA, uids[SA]!, {
        ...credentialId(token),
        [EXTRA.nodeName]: ["missing-node"],
        [EXTRA.podName]: ["pod-on-missing-node"],
        [EXTRA.podUid]: [uids["pod-on-missing-node"]!],
      }),
    );
  });

  it("bound to an unscheduled pod: pod-name and pod-uid only", async () => {
    const token = await mint({ kind: "Pod", name: "unscheduled-pod" });
    await expectAccepted(
      token,
      saUser(SA, uids[SA]!, {
        ...credentialId(token),
        [EXTRA.podName]: ["unscheduled-pod"],
        [EXTRA.podUid]: [uids["unscheduled-pod"]!],
      }),
    );
  });

  it("bound to a secret: no binding extras; to a node: node-name and node-uid", async () => {
    const secretToken = await mint({ kind: "Secret", name: "test-secret" });
    await expectAccepted(secretToken, saUser(SA, uids[SA]!, credentialId(secretToken)));
    const nodeToken = await mint({ kind: "Node", name: "test-node" });
    await expectAccepted(
      nodeToken,
      saUser(SA, uids[SA]!, {
        ...credentialId(nodeToken),
        [EXTRA.nodeName]: ["test-node"],
        [EXTRA.nodeUid]: [uids["test-node"]!],
      }),
    );
  });
});

describe("§1.8 the TokenReview endpoint", () => {
  it("400 for a namespace in the path and for an empty token", async () => {
    const namespaced = await api.post(`/apis/authentication.k8s.io/v1/namespaces/${NS}/tokenreviews`, {
      spec: { token: "x" },
    });
    expect(namespaced.status).toBe(400);
    expect(namespaced.json()).toEqual(
      failureStatus(400, "BadRequest", `namespace is not allowed on this type: ${NS}`),
    );
    const empty = await api.post(TOKENREVIEWS, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: {},
    });
    expect(empty.status).toBe(400);
    expect(empty.json()).toEqual(
      failureStatus(400, "BadRequest", "token is required for TokenReview in authentication"),
    );
  });

  it("the whole answer: the review echoed with status.authenticated, user and audiences", async () => {
    const token = await mint();
    const r = await api.post(TOKENREVIEWS, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token, audiences: ["api"] },
    });
    expect(r.status).toBe(201);
    expect(r.json()).toEqual({
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      metadata: {},
      spec: { token, audiences: ["api"] },
      status: { authenticated: true, user: saUser(SA, uids[SA]!, credentialId(token)), audiences: ["api"] },
    });
  });

  it("only callers allowed to create tokenreviews may ask: a service account gets 403", async () => {
    const token = await mint();
    const r = await api.post(TOKENREVIEWS, { spec: { token } }, { token });
    expect(r.status).toBe(403);
    expect(r.json()).toEqual(
      failureStatus(
        403,
        "Forbidden",
        `tokenreviews.authentication.k8s.io is forbidden: User "system:serviceaccount:${NS}:${SA}" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope`,
        { group: "authentication.k8s.io", kind: "tokenreviews" },
      ),
    );
  });
});
