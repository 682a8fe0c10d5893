import { signToken } from "@tokenplane/crypto";
import { beforeEach, describe, expect, it } from "vitest";
import type { Credentials, RequestAuthenticator } from "./authenticator.js";
import { createRequestAuthenticator, NO_CREDENTIALS_REASON } from "./request-authenticator.js";
import { createServiceAccountTokenAuthenticator } from "./service-account-token-authenticator.js";
import { type AuthnEnv, authnEnv, boundTokenClaims, ISSUER, rsaKey } from "./test-env.js";
import { createCachedTokenAuthenticator } from "./token-cache.js";
import { createX509Authenticator } from "./x509-authenticator.js";

// Reference §1.3: certificate, then bearer token; a failing token is a 401, never anonymous;
// anonymous only without credentials; system:authenticated added to authenticated users.

let env: AuthnEnv;
let goodToken: string;
let expiredToken: string;
let saUid: string;

const requestAuthenticator = (anonymous?: boolean, x509 = true): RequestAuthenticator =>
  createRequestAuthenticator({
    ...(x509 ? { x509: createX509Authenticator() } : {}),
    token: createCachedTokenAuthenticator(
      createServiceAccountTokenAuthenticator({
        registry: env.registry,
        clock: env.clock,
        log: env.log,
        issuers: [ISSUER],
        keys: [rsaKey],
      }),
      { clock: env.clock },
    ),
    ...(anonymous !== undefined ? { anonymous } : {}),
  });

beforeEach(async () => {
  env = await authnEnv();
  const sa = await env.createServiceAccount("myns", "builder");
  saUid = sa.metadata?.uid ?? "";
  goodToken = signToken(rsaKey, boundTokenClaims(sa, env.nowSeconds(), { jti: "" }));
  expiredToken = signToken(rsaKey, boundTokenClaims(sa, env.nowSeconds() - 7200, { jti: "" }));
});

const cert = (commonName: string, organizations: string[] = []) => ({ commonName, organizations });
const saUser = () => ({
  username: "system:serviceaccount:myns:builder",
  uid: saUid,
  groups: ["system:serviceaccounts", "system:serviceaccounts:myns", "system:authenticated"],
  extra: {},
});
const anonymous = {
  ok: true,
  user: { username: "system:anonymous", uid: "", groups: ["system:unauthenticated"], extra: {} },
  warnings: [],
  auditAnnotations: {},
};

describe("request authenticator", () => {
  const table: {
    name: string;
    credentials: () => Credentials;
    anonymous?: boolean;
    expected: () => unknown;
  }[] = [
    {
      name: "client certificate: CN → user, O → groups (+ system:authenticated)",
      credentials: () => ({ certificate: cert("system:kube-controller-manager", ["team-a", "team-b"]) }),
      expected: () => ({
        ok: true,
        user: {
          username: "system:kube-controller-manager",
          uid: "",
          groups: ["team-a", "team-b", "system:authenticated"],
          extra: {},
        },
        warnings: [],
        auditAnnotations: {},
      }),
    },
    {
      name: "a certificate user already in system:authenticated keeps one copy",
      credentials: () => ({ certificate: cert("admin", ["system:masters", "system:authenticated"]) }),
      expected: () => ({
        ok: true,
        user: { username: "admin", uid: "", groups: ["system:masters", "system:authenticated"], extra: {} },
        warnings: [],
        auditAnnotations: {},
      }),
    },
    {
      name: "the certificate wins over a (bad) bearer token",
      credentials: () => ({ certificate: cert("admin"), bearerToken: expiredToken }),
      expected: () => ({
        ok: true,
        user: { username: "admin", uid: "", groups: ["system:authenticated"], extra: {} },
        warnings: [],
        auditAnnotations: {},
      }),
    },
    {
      name: "a certificate without CN names nobody: the token decides",
      credentials: () => ({ certificate: cert("", ["x"]), bearerToken: goodToken }),
      expected: () => ({ ok: true, user: saUser(), audiences: [ISSUER], warnings: [], auditAnnotations: {} }),
    },
    {
      name: "service account token",
      credentials: () => ({ bearerToken: goodToken }),
      expected: () => ({ ok: true, user: saUser(), audiences: [ISSUER], warnings: [], auditAnnotations: {} }),
    },
    {
      name: "a failing token is refused, not anonymous (anonymous on)",
      credentials: () => ({ bearerToken: expiredToken }),
      expected: () => ({ ok: false, reason: "service account token has expired", auditAnnotations: {} }),
    },
    {
      name: "a token nobody recognises: `invalid bearer token`, not anonymous",
      credentials: () => ({ bearerToken: "not-a-jwt" }),
      expected: () => ({ ok: false, reason: "invalid bearer token" }),
    },
    {
      name: "no credentials, anonymous on (default): system:anonymous in system:unauthenticated",
      credentials: () => ({}),
      expected: () => anonymous,
    },
    {
      name: "an empty bearer token counts as none",
      credentials: () => ({ bearerToken: "" }),
      expected: () => anonymous,
    },
    {
      name: "no credentials, anonymous off: refused",
      credentials: () => ({}),
      anonymous: false,
      expected: () => ({ ok: false, reason: NO_CREDENTIALS_REASON }),
    },
    {
      name: "anonymous off: a good token still works",
      credentials: () => ({ bearerToken: goodToken }),
      anonymous: false,
      expected: () => ({ ok: true, user: saUser(), audiences: [ISSUER], warnings: [], auditAnnotations: {} }),
    },
  ];
  it.each(table)("$name", async ({ credentials, anonymous: anon, expected }) => {
    expect(await requestAuthenticator(anon).authenticate(credentials())).toStrictEqual(expected());
  });

  it("without an x509 authenticator, certificates are ignored", async () => {
    expect(
      await requestAuthenticator(true, false).authenticate({ certificate: cert("admin") }),
    ).toStrictEqual(anonymous);
  });

  it("a cached success hands each request its own user (system:authenticated added once)", async () => {
    const auth = requestAuthenticator();
    const first = await auth.authenticate({ bearerToken: goodToken });
    const second = await auth.authenticate({ bearerToken: goodToken });
    expect(second).toStrictEqual(first);
    expect(second.ok && second.user.groups).toStrictEqual([
      "system:serviceaccounts",
      "system:serviceaccounts:myns",
      "system:authenticated",
    ]);
  });

  it("carries a legacy token's warning and audit annotations", async () => {
    const sa = await env.createServiceAccount("myns", "legacy");
    const token = await env.createLegacyToken(sa, "legacy-token", { autogenerated: true });
    const result = await requestAuthenticator().authenticate({ bearerToken: token });
    expect(result.ok && [result.warnings, result.auditAnnotations]).toStrictEqual([
      [
        "Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens.",
      ],
      {
        "authentication.k8s.io/legacy-token": "system:serviceaccount:myns:legacy",
        "authentication.k8s.io/legacy-token-autogenerated-secret": "legacy-token",
      },
    ]);
  });
});
