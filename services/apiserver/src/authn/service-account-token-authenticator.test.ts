import { signToken } from "@tokenplane/crypto";
import { metricValue } from "@tokenplane/runtime";
import { beforeEach, describe, expect, it } from "vitest";
import type { TokenAuthenticationResult } from "./authenticator.js";
import {
  createServiceAccountTokenAuthenticator,
  type ServiceAccountTokenAuthenticator,
} from "./service-account-token-authenticator.js";
import {
  type AuthnEnv,
  authnEnv,
  boundTokenClaims,
  ecKey,
  ISSUER,
  refOf,
  rsaKey,
  signWithoutKid,
  strangerKey,
} from "./test-env.js";

// Reference §1.3 (wiring), §1.4 (the JWT authenticator's steps) and §1.7 (user info), through the
// real registry and memory store.

const OLD_ISSUER = "https://old.example.com";

let env: AuthnEnv;
let auth: ServiceAccountTokenAuthenticator;

beforeEach(async () => {
  env = await authnEnv();
  auth = createServiceAccountTokenAuthenticator({
    registry: env.registry,
    clock: env.clock,
    log: env.log,
    metrics: env.metrics,
    issuers: [ISSUER, OLD_ISSUER],
    keys: [ecKey, rsaKey],
    apiAudiences: [ISSUER],
  });
});

const errorOf = (r: TokenAuthenticationResult) => (r.ok ? undefined : r.error);
const counter = (name: string) => metricValue(env.metrics, name);

describe("§1.4 step 1-2: tokens that are not ours are 'not mine' (no error)", () => {
  const cases: [string, () => string][] = [
    ["not a JWT", () => "not-a-jwt"],
    ["two parts", () => "a.b"],
    ["JSON-serialized JWS (starts with '{')", () => `{"payload":"x","signatures":[]}`],
    ["foreign issuer", () => signToken(rsaKey, { iss: "https://foo.example.com", sub: "x" })],
    [
      "padded base64 payload",
      () => {
        const [h, p, s] = signToken(rsaKey, { iss: ISSUER, sub: "abc" }).split(".");
        return `${h}.${p}=.${s}`;
      },
    ],
    ["issuer not a string", () => signToken(rsaKey, { iss: 7, sub: "x" })],
  ];
  it.each(cases)("%s", async (_name, token) => {
    expect(await auth.authenticateToken(token(), undefined)).toStrictEqual({ ok: false });
  });
});

describe("§1.4 steps 3-5: keys and signatures", () => {
  it("a kid that matches no key fails even though another key would verify: `invalid signature, no keys found`", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = signToken(strangerKey, boundTokenClaims(sa, env.nowSeconds()));
    expect(errorOf(await auth.authenticateToken(token, undefined))).toBe("invalid signature, no keys found");
  });

  it("a bad signature under a known kid is an error, not 'not mine'", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const forged = signToken({ ...strangerKey, kid: ecKey.kid }, boundTokenClaims(sa, env.nowSeconds()));
    expect(errorOf(await auth.authenticateToken(forged, undefined))).toBe(
      "go-jose/go-jose: error in cryptographic primitive",
    );
  });

  it("a token without kid is tried against every key (the right one second)", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = signWithoutKid(rsaKey, boundTokenClaims(sa, env.nowSeconds()));
    const result = await auth.authenticateToken(token, undefined);
    expect(result.ok).toBe(true);
  });

  it("ES256 and RS256 tokens both verify; every configured issuer is accepted", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    for (const [key, issuer] of [
      [ecKey, ISSUER],
      [rsaKey, OLD_ISSUER],
    ] as const) {
      const result = await auth.authenticateToken(
        signToken(key, boundTokenClaims(sa, env.nowSeconds(), { issuer })),
        undefined,
      );
      expect(result.ok).toBe(true);
    }
  });
});

describe("§1.4 step 6: audiences", () => {
  const table: {
    name: string;
    tokenAudiences: string[];
    requested: string[] | undefined;
    result: { audiences: string[] } | { error: string };
  }[] = [
    {
      name: "API audience by default",
      tokenAudiences: [ISSUER],
      requested: undefined,
      result: { audiences: [ISSUER] },
    },
    {
      name: "empty request = API audiences",
      tokenAudiences: [ISSUER],
      requested: [],
      result: { audiences: [ISSUER] },
    },
    {
      name: "intersection keeps the requested order",
      tokenAudiences: ["b", "a", "z"],
      requested: ["a", "b", "c"],
      result: { audiences: ["a", "b"] },
    },
    {
      name: "no API audience in the token",
      tokenAudiences: ["not-the-api"],
      requested: undefined,
      result: { error: `token audiences ["not-the-api"] is invalid for the target audiences ["${ISSUER}"]` },
    },
    {
      name: "Go %q slice format: space separated",
      tokenAudiences: ["a", "b"],
      requested: ["c", "d"],
      result: { error: `token audiences ["a" "b"] is invalid for the target audiences ["c" "d"]` },
    },
    {
      name: "legacy semantics: a token without aud stands for the API audiences",
      tokenAudiences: [],
      requested: undefined,
      result: { audiences: [ISSUER] },
    },
    {
      name: "legacy semantics: ... and only for them",
      tokenAudiences: [],
      requested: ["other"],
      result: { error: `token audiences ["${ISSUER}"] is invalid for the target audiences ["other"]` },
    },
  ];
  it.each(table)("$name", async ({ tokenAudiences, requested, result }) => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = signToken(rsaKey, boundTokenClaims(sa, env.nowSeconds(), { audiences: tokenAudiences }));
    const got = await auth.authenticateToken(token, requested);
    if ("error" in result) expect(errorOf(got)).toBe(result.error);
    else expect(got.ok && got.audiences).toStrictEqual(result.audiences);
  });

  it("a token without aud is annotated `authentication.k8s.io/legacy-token` = sub and counted", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = signToken(rsaKey, boundTokenClaims(sa, env.nowSeconds(), { audiences: [] }));
    const got = await auth.authenticateToken(token, undefined);
    expect(got.ok && got.auditAnnotations).toStrictEqual({
      "authentication.k8s.io/legacy-token": "system:serviceaccount:myns:builder",
    });
    // Counted before validation, so a rejected one counts too (jwt.go).
    await auth.authenticateToken(token, ["other"]);
    expect(await counter("serviceaccount_legacy_tokens_total")).toBe(2);
  });
});

describe("§1.7 user info", () => {
  it("pod-bound with node info and jti: extras in Kubernetes' rules, no system:authenticated", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const pod = await env.createPod("myns", "web", "builder", { nodeName: "n1" });
    const token = signToken(
      rsaKey,
      boundTokenClaims(sa, env.nowSeconds(), { pod: refOf(pod), node: { name: "n1", uid: "node-uid" } }),
    );
    expect(await auth.authenticateToken(token, undefined)).toStrictEqual({
      ok: true,
      user: {
        username: "system:serviceaccount:myns:builder",
        uid: sa.metadata?.uid,
        groups: ["system:serviceaccounts", "system:serviceaccounts:myns"],
        extra: {
          "authentication.kubernetes.io/credential-id": ["JTI=jti-1"],
          "authentication.kubernetes.io/node-name": ["n1"],
          "authentication.kubernetes.io/node-uid": ["node-uid"],
          "authentication.kubernetes.io/pod-name": ["web"],
          "authentication.kubernetes.io/pod-uid": [pod.metadata?.uid],
        },
      },
      audiences: [ISSUER],
      warnings: [],
      auditAnnotations: {},
    });
  });

  it("node name without uid: node-name only; no jti: no credential-id", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const pod = await env.createPod("myns", "web", "builder", { nodeName: "n1" });
    const token = signToken(
      rsaKey,
      boundTokenClaims(sa, env.nowSeconds(), { pod: refOf(pod), node: { name: "n1" }, jti: "" }),
    );
    const got = await auth.authenticateToken(token, undefined);
    expect(got.ok && got.user.extra).toStrictEqual({
      "authentication.kubernetes.io/node-name": ["n1"],
      "authentication.kubernetes.io/pod-name": ["web"],
      "authentication.kubernetes.io/pod-uid": [pod.metadata?.uid],
    });
  });

  it("a legacy token: SA name, uid and groups only", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = await env.createLegacyToken(sa, "builder-token");
    const got = await auth.authenticateToken(token, undefined);
    expect(got.ok && got.user).toStrictEqual({
      username: "system:serviceaccount:myns:builder",
      uid: sa.metadata?.uid,
      groups: ["system:serviceaccounts", "system:serviceaccounts:myns"],
      extra: {},
    });
    await auth.idle();
  });
});

describe("§1.3 the union of the legacy and bound authenticators", () => {
  it("with the legacy issuer also configured as a bound issuer, both errors are aggregated", async () => {
    const both = createServiceAccountTokenAuthenticator({
      registry: env.registry,
      clock: env.clock,
      log: env.log,
      issuers: ["kubernetes/serviceaccount"],
      keys: [rsaKey],
      apiAudiences: ["api"],
    });
    // A bound-style token under the legacy issuer: the legacy validator misses its claims, the
    // bound one its ServiceAccount.
    const token = signToken(rsaKey, {
      iss: "kubernetes/serviceaccount",
      sub: "system:serviceaccount:myns:ghost",
      aud: ["api"],
      "kubernetes.io": { namespace: "myns", serviceaccount: { name: "ghost", uid: "u" } },
    });
    expect(errorOf(await both.authenticateToken(token, undefined))).toBe(
      '[namespace claim is missing, serviceaccounts "ghost" not found]',
    );
  });

  it("the apiAudiences default is the issuers", async () => {
    const defaulted = createServiceAccountTokenAuthenticator({
      registry: env.registry,
      clock: env.clock,
      log: env.log,
      issuers: [ISSUER, OLD_ISSUER],
      keys: [rsaKey],
    });
    const sa = await env.createServiceAccount("myns", "builder");
    const token = signToken(rsaKey, boundTokenClaims(sa, env.nowSeconds(), { audiences: [OLD_ISSUER] }));
    const got = await defaulted.authenticateToken(token, undefined);
    expect(got.ok && got.audiences).toStrictEqual([OLD_ISSUER]);
  });

  it("refuses to start without issuers", () => {
    expect(() =>
      createServiceAccountTokenAuthenticator({
        registry: env.registry,
        clock: env.clock,
        log: env.log,
        issuers: [],
        keys: [rsaKey],
      }),
    ).toThrow("service-account-issuer is a required flag");
  });
});
