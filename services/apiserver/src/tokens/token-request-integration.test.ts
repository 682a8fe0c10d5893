import { createPublicKey, type JsonWebKeyInput, verify } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { objectToJson, StatusError, toK8sJson, tokenRequestKind } from "@tokenplane/apimachinery";
import { boundClaims, createOpenIdMetadata, signToken } from "@tokenplane/crypto";
import { authnv1 } from "@tokenplane/proto";
import { beforeEach, describe, expect, it } from "vitest";
import { createServiceAccountTokenAuthenticator } from "../authn/service-account-token-authenticator.js";
import {
  type AuthnEnv,
  authnEnv,
  decodeHeader,
  decodePayload,
  PODS,
  rsaKey,
  SA,
  SECRETS,
} from "../authn/test-env.js";
import { createTokenReview } from "../authn/token-review.js";
import { createTokenRequestHandler, type TokenRequestHandler } from "./token-request.js";

// Reference §2.5: test/integration/auth/svcaccttoken_test.go TestServiceAccountTokenCreate, case by
// case, with its server: issuer https://foo.bar.example.com, API audiences ["api"], max 2 h,
// extension on, no token cache. Then the worked examples of §9.1 and §9.2.

const ISSUER = "https://foo.bar.example.com";
const AUDIENCES = ["api"];

let env: AuthnEnv;
let tokens: TokenRequestHandler;

beforeEach(async () => {
  env = await authnEnv();
  tokens = handler();
});

const handler = (options: { serviceAccountUidValidation?: boolean; nodeBinding?: boolean } = {}) =>
  createTokenRequestHandler({
    registry: env.registry,
    signingKey: rsaKey,
    issuer: ISSUER,
    apiAudiences: AUDIENCES,
    maxExpirationSeconds: 2 * 3600,
    extendExpiration: true,
    clock: env.clock,
    ...options,
  });

type Ref = { kind: string; apiVersion?: string; name: string; uid?: string };

const request = (
  init: { ref?: Ref; audiences?: string[]; expirationSeconds?: number; meta?: Record<string, string> } = {},
) =>
  create(authnv1.TokenRequestSchema, {
    metadata: init.meta ?? {},
    spec: {
      audiences: init.audiences ?? [],
      ...(init.expirationSeconds !== undefined ? { expirationSeconds: BigInt(init.expirationSeconds) } : {}),
      ...(init.ref !== undefined ? { boundObjectRef: { apiVersion: "v1", uid: "", ...init.ref } } : {}),
    },
  });

const mint = async (init: Parameters<typeof request>[0] = {}, ctx = env.ctx()) =>
  tokens.createToken(ctx, "myns", "test-svcacct", request(init));

async function errorText(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err.message;
    throw err;
  }
  throw new Error("expected the request to fail");
}

/** TokenReview with the default (API) audiences; no token cache, as the integration server. */
async function review(token: string) {
  const authenticator = createServiceAccountTokenAuthenticator({
    registry: env.registry,
    clock: env.clock,
    log: env.log,
    issuers: [ISSUER],
    keys: [rsaKey],
    apiAudiences: AUDIENCES,
  });
  const out = await createTokenReview(
    create(authnv1.TokenReviewSchema, { spec: { token } }),
    authenticator,
    AUDIENCES,
  );
  return out.status!;
}

const kubernetesClaims = (token: string) =>
  decodePayload(token).json["kubernetes.io"] as Record<
    string,
    Record<string, string> | string | number | undefined
  >;
const uidOf = async (info: typeof PODS, ns: string, name: string) =>
  (await env.registry.get(info, ns, name)).metadata?.uid ?? "";

const credentialId = (token: string) => `JTI=${decodePayload(token).json.jti as string}`;
const extraOf = (status: authnv1.TokenReviewStatus) =>
  Object.fromEntries(Object.entries(status.user?.extra ?? {}).map(([k, v]) => [k, v.items]));

describe("§2.5 bound to service account", () => {
  it("fails before the ServiceAccount exists; checks body name and namespace; then works until it is deleted", async () => {
    expect(await errorText(mint())).toBe('serviceaccounts "test-svcacct" not found');
    const sa = await env.createServiceAccount("myns", "test-svcacct");
    expect(await errorText(mint({ meta: { name: "wrong-name" } }))).toContain(
      "must match the service account name",
    );
    expect(await errorText(mint({ meta: { namespace: "wrong-ns" } }))).toContain(
      "does not match the namespace",
    );

    const out = await mint();
    expect([out.metadata?.name, out.metadata?.namespace]).toStrictEqual(["test-svcacct", "myns"]);
    expect(Number(out.metadata?.creationTimestamp?.seconds)).toBeGreaterThan(0);
    const token = out.status?.token ?? "";
    const payload = decodePayload(token).json;
    expect([payload.sub, payload.aud]).toStrictEqual(["system:serviceaccount:myns:test-svcacct", ["api"]]);
    const k = kubernetesClaims(token);
    expect([k.pod, k.secret, k.namespace, (k.serviceaccount as { name: string }).name]).toStrictEqual([
      undefined,
      undefined,
      "myns",
      "test-svcacct",
    ]);

    const ok = await review(token);
    expect([ok.authenticated, ok.user?.uid, extraOf(ok)]).toStrictEqual([
      true,
      sa.metadata?.uid,
      { "authentication.kubernetes.io/credential-id": [credentialId(token)] },
    ]);
    await env.remove("sa", "myns", "test-svcacct");
    const gone = await review(token);
    expect([gone.authenticated, gone.error]).toStrictEqual([
      false,
      'serviceaccounts "test-svcacct" not found',
    ]);
  });
});

describe("§2.5 bound to service account and pod", () => {
  it("fails before the SA and before the pod; uid right/wrong/empty; pod claims and extras; invalid once the pod is gone", async () => {
    const ref = { kind: "Pod", name: "test-pod" };
    expect(await errorText(mint({ ref }))).toBe('serviceaccounts "test-svcacct" not found');
    await env.createServiceAccount("myns", "test-svcacct");
    expect(await errorText(mint({ ref }))).toBe('pods "test-pod" not found');
    const pod = await env.createPod("myns", "test-pod", "test-svcacct");
    const podUid = pod.metadata?.uid ?? "";

    await mint({ ref: { ...ref, uid: podUid } });
    expect(await errorText(mint({ ref: { ...ref, uid: "wrong" } }))).toBe(
      'Operation cannot be fulfilled on Pod "test-pod": the UID in the bound object reference (wrong) does not match the UID in record. The object might have been deleted and then recreated',
    );
    const token = (await mint({ ref })).status?.token ?? "";
    const k = kubernetesClaims(token);
    expect([(k.pod as { name: string }).name, k.node]).toStrictEqual(["test-pod", undefined]);

    const ok = await review(token);
    expect(extraOf(ok)).toStrictEqual({
      "authentication.kubernetes.io/credential-id": [credentialId(token)],
      "authentication.kubernetes.io/pod-name": ["test-pod"],
      "authentication.kubernetes.io/pod-uid": [podUid],
    });
    await env.registry.delete(env.ctx(), PODS, "myns", "test-pod", { gracePeriodSeconds: 0 });
    expect((await review(token)).error).toBe("service account token has been invalidated");
  });

  it("a pod on a node that does not exist: node name only in the token and the extras", async () => {
    await env.createServiceAccount("myns", "test-svcacct");
    await env.createPod("myns", "test-pod", "test-svcacct", { nodeName: "test-node" });
    const token = (await mint({ ref: { kind: "Pod", name: "test-pod" } })).status?.token ?? "";
    expect(kubernetesClaims(token).node).toStrictEqual({ name: "test-node" });
    const extra = extraOf(await review(token));
    expect([
      extra["authentication.kubernetes.io/node-name"],
      extra["authentication.kubernetes.io/node-uid"],
    ]).toStrictEqual([["test-node"], undefined]);
  });

  it("a pod on a node that exists: node name and uid", async () => {
    await env.createServiceAccount("myns", "test-svcacct");
    const node = await env.createNode("test-node");
    await env.createPod("myns", "test-pod", "test-svcacct", { nodeName: "test-node" });
    const token = (await mint({ ref: { kind: "Pod", name: "test-pod" } })).status?.token ?? "";
    expect(kubernetesClaims(token).node).toStrictEqual({ name: "test-node", uid: node.metadata?.uid });
    const extra = extraOf(await review(token));
    expect([
      extra["authentication.kubernetes.io/node-name"],
      extra["authentication.kubernetes.io/node-uid"],
    ]).toStrictEqual([["test-node"], [node.metadata?.uid]]);
  });

  it("a pod running as a different service account", async () => {
    await env.createServiceAccount("myns", "test-svcacct");
    await env.createServiceAccount("myns", "other-test-svcacct");
    await env.createPod("myns", "other-test-pod", "other-test-svcacct");
    expect(await errorText(mint({ ref: { kind: "Pod", name: "other-test-pod" } }))).toBe(
      'cannot bind token for serviceaccount "test-svcacct" to pod running with different serviceaccount name.',
    );
  });
});

describe("§2.5 bound to node or secret", () => {
  beforeEach(async () => {
    await env.createServiceAccount("myns", "test-svcacct");
  });

  it("fails to bind to a Node if the feature gate is disabled", async () => {
    await env.createNode("test-node");
    const off = handler({ nodeBinding: false });
    expect(
      await errorText(
        off.createToken(
          env.ctx(),
          "myns",
          "test-svcacct",
          request({ ref: { kind: "Node", name: "test-node" } }),
        ),
      ),
    ).toBe(
      'cannot bind token to a Node object as the "ServiceAccountTokenNodeBinding" feature-gate is disabled',
    );
  });

  it("bound to a node: valid until the node is deleted", async () => {
    await env.createNode("test-node");
    const token = (await mint({ ref: { kind: "Node", name: "test-node" } })).status?.token ?? "";
    const k = kubernetesClaims(token);
    expect([k.pod, (k.node as { name: string }).name]).toStrictEqual([undefined, "test-node"]);
    expect((await review(token)).authenticated).toBe(true);
    await env.remove("node", "", "test-node");
    expect((await review(token)).error).toBe("service account token has been invalidated");
  });

  it("bound to a secret: valid until the secret is deleted", async () => {
    await env.createSecret("myns", "test-secret");
    const token = (await mint({ ref: { kind: "Secret", name: "test-secret" } })).status?.token ?? "";
    expect((kubernetesClaims(token).secret as { name: string }).name).toBe("test-secret");
    expect((await review(token)).authenticated).toBe(true);
    await env.remove("secret", "myns", "test-secret");
    expect((await review(token)).error).toBe("service account token has been invalidated");
  });

  it("stays invalid after a pod or secret of the same name is recreated", async () => {
    await env.createPod("myns", "test-pod", "test-svcacct");
    await env.createSecret("myns", "test-secret");
    const podToken = (await mint({ ref: { kind: "Pod", name: "test-pod" } })).status?.token ?? "";
    const secretToken = (await mint({ ref: { kind: "Secret", name: "test-secret" } })).status?.token ?? "";
    const oldPod = (kubernetesClaims(podToken).pod as { uid: string }).uid;
    const oldSecret = (kubernetesClaims(secretToken).secret as { uid: string }).uid;
    await env.remove("pod", "myns", "test-pod");
    await env.remove("secret", "myns", "test-secret");
    await env.createPod("myns", "test-pod", "test-svcacct");
    await env.createSecret("myns", "test-secret");
    expect((await review(podToken)).error).toBe(
      `pod UID (${await uidOf(PODS, "myns", "test-pod")}) does not match service account pod ref claim (${oldPod})`,
    );
    const liveSecret = (await env.registry.get(SECRETS, "myns", "test-secret")).metadata?.uid;
    expect((await review(secretToken)).error).toBe(
      `secret UID (${liveSecret}) does not match service account secret ref claim (${oldSecret})`,
    );
  });
});

describe("§2.5 expiry and audiences", () => {
  beforeEach(async () => {
    await env.createServiceAccount("myns", "test-svcacct");
    await env.createPod("myns", "test-pod", "test-svcacct");
  });

  it("an expired token (exp now − 1 h, iat now − 2 h) fails review", async () => {
    const sa = await env.registry.get(SA, "myns", "test-svcacct");
    const now = env.nowSeconds();
    const token = signToken(
      rsaKey,
      boundClaims({
        issuer: ISSUER,
        audiences: AUDIENCES,
        serviceAccount: { namespace: "myns", name: "test-svcacct", uid: sa.metadata?.uid ?? "" },
        expirationSeconds: 3600,
        now: now - 7200,
        jti: "",
      }),
    );
    expect((await review(token)).error).toBe("service account token has expired");
  });

  it("3607 s pod-bound: exp a year out, warnafter at 3607 s, spec and status keep 3607", async () => {
    const out = await mint({ ref: { kind: "Pod", name: "test-pod" }, expirationSeconds: 3607 });
    const now = env.nowSeconds();
    const { json } = decodePayload(out.status?.token ?? "");
    expect([
      (json.exp as number) - now,
      (json["kubernetes.io"] as { warnafter: number }).warnafter - now,
      Number(out.spec?.expirationSeconds),
      Number(out.status?.expirationTimestamp?.seconds) - now,
    ]).toStrictEqual([365 * 86400, 3607, 3607, 3607]);
  });

  it("the extension does not apply with other audiences", async () => {
    const out = await mint({
      ref: { kind: "Pod", name: "test-pod" },
      expirationSeconds: 3607,
      audiences: ["not-the-api", "api"],
    });
    const { json } = decodePayload(out.status?.token ?? "");
    expect([
      (json["kubernetes.io"] as { warnafter?: number }).warnafter,
      (json.exp as number) - env.nowSeconds(),
    ]).toStrictEqual([undefined, 3607]);
  });

  it("a token without an API audience is invalid against the API", async () => {
    const token = (await mint({ audiences: ["not-the-api"] })).status?.token ?? "";
    expect((await review(token)).error).toBe(
      'token audiences ["not-the-api"] is invalid for the target audiences ["api"]',
    );
  });

  it("a TokenRequest without audiences gets the API audiences and is valid against the API", async () => {
    const token = (await mint()).status?.token ?? "";
    expect(decodePayload(token).json.aud).toStrictEqual(["api"]);
    expect((await review(token)).authenticated).toBe(true);
  });

  it("within the maximum (2 h − 10 m): unchanged, no warning", async () => {
    const ctx = env.ctx();
    const out = await mint({ expirationSeconds: 6600 }, ctx);
    expect([Number(out.spec?.expirationSeconds), ctx.warnings]).toStrictEqual([6600, []]);
  });

  it("beyond the maximum (2 h + 10 m): exactly one warning, shortened to 7200", async () => {
    const ctx = env.ctx();
    const out = await mint({ expirationSeconds: 7800 }, ctx);
    expect([Number(out.spec?.expirationSeconds), ctx.warnings]).toStrictEqual([
      7200,
      ["requested expiration of 7800 seconds shortened to 7200 seconds"],
    ]);
    const { json } = decodePayload(out.status?.token ?? "");
    expect((json.exp as number) - (json.iat as number)).toBe(7200);
  });
});

describe("§2.5 the issuer's metadata verifies the token", () => {
  it("discovery names the issuer and the JWKS holds exactly the one key that verifies it", async () => {
    await env.createServiceAccount("myns", "test-svcacct");
    const token = (await mint()).status?.token ?? "";
    const metadata = createOpenIdMetadata({
      issuer: ISSUER,
      externalAddress: "127.0.0.1:6443",
      keys: [rsaKey],
    });
    const configuration = JSON.parse(metadata.configuration) as { issuer: string; jwks_uri: string };
    expect([configuration.issuer, configuration.jwks_uri]).toStrictEqual([
      ISSUER,
      "https://127.0.0.1:6443/openid/v1/jwks",
    ]);
    const jwks = JSON.parse(metadata.jwks) as { keys: JsonWebKeyInput["key"][] };
    expect(jwks.keys.length).toBe(1);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const publicKey = createPublicKey({ key: jwks.keys[0]!, format: "jwk" });
    expect(
      verify("sha256", Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, "base64url")),
    ).toBe(true);
    expect(decodePayload(token).json.iss).toBe(ISSUER);
  });
});

describe("§2.5 [new] service account uid in the request", () => {
  let saUid: string;
  beforeEach(async () => {
    saUid = (await env.createServiceAccount("myns", "test-svcacct")).metadata?.uid ?? "";
  });

  it("the right uid works; an empty one is filled with the SA's", async () => {
    expect((await mint({ meta: { uid: saUid } })).metadata?.uid).toBe(saUid);
    expect((await mint()).metadata?.uid).toBe(saUid);
  });

  it("a wrong uid is a conflict", async () => {
    expect(await errorText(mint({ meta: { uid: "wrong-uid" } }))).toBe(
      `Operation cannot be fulfilled on TokenRequest.authentication.k8s.io "test-svcacct": the UID in the token request (wrong-uid) does not match the UID of the service account (${saUid})`,
    );
  });

  it("with the gate off, a wrong uid succeeds with a single warning", async () => {
    const ctx = env.ctx();
    const out = await handler({ serviceAccountUidValidation: false }).createToken(
      ctx,
      "myns",
      "test-svcacct",
      request({ meta: { uid: "wrong-uid" } }),
    );
    expect(out.status?.token).not.toBe("");
    expect(ctx.warnings).toStrictEqual([
      `the UID in the token request (wrong-uid) does not match the UID of the service account (${saUid}) but TokenRequestServiceAccountUIDValidation is not enabled. In the future, this will return a conflict error`,
    ]);
  });
});

describe("§9.1 / §9.2 worked example", () => {
  const API = "https://kubernetes.default.svc.cluster.local";

  it("TokenRequest round trip, decoded payload in go-jose key order, then its TokenReview", async () => {
    const sa = await env.createServiceAccount("myns", "test-svcacct");
    const pod = await env.createPod("myns", "test-pod", "test-svcacct");
    const [saUid, podUid] = [sa.metadata?.uid ?? "", pod.metadata?.uid ?? ""];
    const issue = createTokenRequestHandler({
      registry: env.registry,
      signingKey: rsaKey,
      issuer: API,
      apiAudiences: [API],
      clock: env.clock,
    });
    const ctx = env.ctx();
    const body = create(authnv1.TokenRequestSchema, {
      spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "test-pod" } },
    });
    const out = await issue.createToken(ctx, "myns", "test-svcacct", body);
    const token = out.status?.token ?? "";
    expect(objectToJson(tokenRequestKind, out)).toStrictEqual({
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: {
        name: "test-svcacct",
        namespace: "myns",
        uid: saUid,
        creationTimestamp: "2024-01-01T00:00:00Z",
      },
      spec: {
        audiences: [API],
        expirationSeconds: 3600,
        boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "test-pod" },
      },
      status: { token, expirationTimestamp: "2024-01-01T01:00:00Z" },
    });
    expect(decodeHeader(token)).toBe(`{"alg":"RS256","kid":"${rsaKey.kid}"}`);
    const jti = decodePayload(token).json.jti as string;
    expect(jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(decodePayload(token).text).toBe(
      `{"aud":["${API}"],"exp":1704070800,"iat":1704067200,"iss":"${API}","jti":"${jti}",` +
        `"kubernetes.io":{"namespace":"myns","pod":{"name":"test-pod","uid":"${podUid}"},` +
        `"serviceaccount":{"name":"test-svcacct","uid":"${saUid}"}},"nbf":1704067200,` +
        `"sub":"system:serviceaccount:myns:test-svcacct"}`,
    );
    expect(ctx.auditAnnotations).toStrictEqual({
      "authentication.kubernetes.io/issued-credential-id": `JTI=${jti}`,
    });

    const authenticator = createServiceAccountTokenAuthenticator({
      registry: env.registry,
      clock: env.clock,
      log: env.log,
      issuers: [API],
      keys: [rsaKey],
    });
    const reviewed = await createTokenReview(
      create(authnv1.TokenReviewSchema, { spec: { token } }),
      authenticator,
      [API],
    );
    expect(toK8sJson(authnv1.TokenReviewSchema, reviewed).status).toStrictEqual({
      authenticated: true,
      user: {
        username: "system:serviceaccount:myns:test-svcacct",
        uid: saUid,
        groups: ["system:serviceaccounts", "system:serviceaccounts:myns", "system:authenticated"],
        extra: {
          "authentication.kubernetes.io/credential-id": [`JTI=${jti}`],
          "authentication.kubernetes.io/pod-name": ["test-pod"],
          "authentication.kubernetes.io/pod-uid": [podUid],
        },
      },
      audiences: [API],
    });

    await env.remove("pod", "myns", "test-pod");
    const after = await createTokenReview(
      create(authnv1.TokenReviewSchema, { spec: { token } }),
      authenticator,
      [API],
    );
    expect(JSON.stringify(toK8sJson(authnv1.TokenReviewSchema, after).status)).toBe(
      '{"user":{},"error":"service account token has been invalidated"}',
    );
  });

  it("a scheduled pod adds the node to the payload", async () => {
    await env.createServiceAccount("myns", "test-svcacct");
    const node = await env.createNode("n1");
    await env.createPod("myns", "test-pod", "test-svcacct", { nodeName: "n1" });
    const issue = createTokenRequestHandler({
      registry: env.registry,
      signingKey: rsaKey,
      issuer: API,
      apiAudiences: [API],
      clock: env.clock,
    });
    const out = await issue.createToken(
      env.ctx(),
      "myns",
      "test-svcacct",
      create(authnv1.TokenRequestSchema, {
        spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "test-pod" } },
      }),
    );
    expect(decodePayload(out.status?.token ?? "").text).toContain(
      `"kubernetes.io":{"namespace":"myns","node":{"name":"n1","uid":"${node.metadata?.uid}"},"pod":{`,
    );
  });
});
