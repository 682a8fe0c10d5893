import { describe, expect, it } from "vitest";
import { type AuthenticateResult, createJwtAuthenticator } from "./authenticator.js";
import { createBoundValidator } from "./bound-validator.js";
import { boundClaims } from "./claims.js";
import { KeySet } from "./key-set.js";
import { generateSigningKey } from "./keys.js";
import { LEGACY_ISSUER, legacyClaims } from "./legacy-claims.js";
import { createLegacyValidator } from "./legacy-validator.js";
import { signToken } from "./sign.js";
import { fakeGetter } from "./testdata/fakes.js";

// The authenticator wired as kube-apiserver wires it (reference §1.3), end to end through the
// bound and legacy validators.
const NOW = 1514764800;
const ISSUER = "https://issuer.example.com";
const rsa = generateSigningKey("RS256");
const ec256 = generateSigningKey("ES256");
const otherEc = generateSigningKey("ES256");

const notMine = (result: AuthenticateResult) => !result.ok && result.error === undefined;
const errorOf = (result: AuthenticateResult) =>
  result.ok || result.error === undefined ? undefined : result.error;

describe("authenticator with the bound validator", () => {
  const getter = fakeGetter({
    serviceAccounts: { "myns/mysvcacct": { uid: "sa-uid" } },
    pods: { "myns/mypod": { uid: "pod-uid" } },
  });
  const auth = createJwtAuthenticator({
    issuers: [ISSUER, "https://old.example.com"],
    keys: new KeySet([otherEc, rsa]),
    implicitAudiences: [ISSUER],
    validator: createBoundValidator({ getter, now: () => (NOW + 30) * 1000 }),
  });
  const claims = (issuer: string, pod = { name: "mypod", uid: "pod-uid" }) =>
    boundClaims({
      issuer,
      audiences: [ISSUER],
      serviceAccount: { namespace: "myns", name: "mysvcacct", uid: "sa-uid" },
      pod,
      node: { name: "node-1", uid: "node-uid" },
      expirationSeconds: 3600,
      now: NOW,
      jti: "jti-1",
    });

  it("authenticates a pod-bound token into user info with extras (reference §9.2)", async () => {
    const result = await auth.authenticate(signToken(rsa, claims(ISSUER)));
    expect(result).toStrictEqual({
      ok: true,
      info: {
        namespace: "myns",
        name: "mysvcacct",
        uid: "sa-uid",
        podName: "mypod",
        podUID: "pod-uid",
        nodeName: "node-1",
        nodeUID: "node-uid",
        credentialId: "JTI=jti-1",
      },
      user: {
        username: "system:serviceaccount:myns:mysvcacct",
        uid: "sa-uid",
        groups: ["system:serviceaccounts", "system:serviceaccounts:myns"],
        extra: {
          "authentication.kubernetes.io/credential-id": ["JTI=jti-1"],
          "authentication.kubernetes.io/node-name": ["node-1"],
          "authentication.kubernetes.io/node-uid": ["node-uid"],
          "authentication.kubernetes.io/pod-name": ["mypod"],
          "authentication.kubernetes.io/pod-uid": ["pod-uid"],
        },
      },
      audiences: [ISSUER],
      claims: {
        iss: ISSUER,
        sub: "system:serviceaccount:myns:mysvcacct",
        aud: [ISSUER],
        exp: NOW + 3600,
        nbf: NOW,
        iat: NOW,
        jti: "jti-1",
      },
      warnings: [],
      auditAnnotations: {},
    });
  });

  it("accepts every configured issuer", async () => {
    expect((await auth.authenticate(signToken(rsa, claims("https://old.example.com")))).ok).toBe(true);
  });

  it("passes the validator's error through", async () => {
    const result = await auth.authenticate(signToken(rsa, claims(ISSUER, { name: "mypod", uid: "old-uid" })));
    expect(errorOf(result)?.message).toBe(
      "pod UID (pod-uid) does not match service account pod ref claim (old-uid)",
    );
  });

  it("does not claim legacy tokens", async () => {
    const token = signToken(
      rsa,
      legacyClaims({ namespace: "myns", name: "mysvcacct", uid: "sa-uid" }, { name: "s" }),
    );
    expect(notMine(await auth.authenticate(token))).toBe(true);
  });
});

describe("authenticator with the legacy validator (jwt_test.go)", () => {
  const sa = { namespace: "test", name: "my-service-account", uid: "12345" };
  const token = signToken(ec256, legacyClaims(sa, { name: "my-secret" }));
  const makeAuth = (objects: Parameters<typeof fakeGetter>[0]) =>
    createJwtAuthenticator({
      issuers: [LEGACY_ISSUER, "bar"],
      keys: new KeySet([rsa, ec256]),
      implicitAudiences: ["api"],
      validator: createLegacyValidator({ getter: fakeGetter(objects), now: () => NOW * 1000 }),
    });
  const serviceAccounts = { "test/my-service-account": { uid: "12345" } };
  const secrets = { "test/my-secret": { uid: "secret-uid", token } };

  it("authenticates with groups and the legacy-token annotation", async () => {
    const result = await makeAuth({ serviceAccounts, secrets }).authenticate(token);
    expect(result.ok && result.user).toStrictEqual({
      username: "system:serviceaccount:test:my-service-account",
      uid: "12345",
      groups: ["system:serviceaccounts", "system:serviceaccounts:test"],
      extra: {},
    });
    expect(result.ok && result.audiences).toEqual(["api"]);
    expect(result.ok && result.auditAnnotations).toEqual({
      "authentication.k8s.io/legacy-token": "system:serviceaccount:test:my-service-account",
      "authentication.k8s.io/legacy-token-manual-secret": "my-secret",
    });
    expect(result.ok && result.lastUsed?.name).toBe("my-secret");
  });

  it.each([
    ["missing secret", { serviceAccounts }, "Token has been invalidated"],
    ["missing service account", { secrets }, 'serviceaccounts "my-service-account" not found'],
    [
      "secret marked invalid",
      {
        serviceAccounts,
        secrets: {
          "test/my-secret": {
            ...secrets["test/my-secret"],
            labels: { "kubernetes.io/legacy-token-invalid-since": "2017-12-01" },
          },
        },
      },
      "the token in secret test/my-secret for service account test/my-service-account has been marked invalid. " +
        "Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the " +
        "'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token",
    ],
  ])("rejects in lookup mode: %s", async (_name, objects, message) => {
    expect(errorOf(await makeAuth(objects).authenticate(token))?.message).toBe(message);
  });

  it("ignores a token of issuer foo and accepts issuer bar", async () => {
    const auth = makeAuth({ serviceAccounts, secrets });
    const foo = signToken(rsa, { ...legacyClaims(sa, { name: "my-secret" }), iss: "foo" });
    expect(notMine(await auth.authenticate(foo))).toBe(true);
    const bar = signToken(rsa, { ...legacyClaims(sa, { name: "my-secret" }), iss: "bar" });
    // Issuer accepted; the Secret's stored copy is a different token.
    expect(errorOf(await auth.authenticate(bar))?.message).toBe("Token does not match server's copy");
  });
});
