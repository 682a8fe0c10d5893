import { clone } from "@bufbuild/protobuf";
import { LEGACY_ISSUER, signToken } from "@tokenplane/crypto";
import { corev1 } from "@tokenplane/proto";
import { createLogger, metricValue } from "@tokenplane/runtime";
import { beforeEach, describe, expect, it } from "vitest";
import type { TokenAuthenticationResult } from "./authenticator.js";
import {
  createServiceAccountTokenAuthenticator,
  type ServiceAccountTokenAuthenticator,
} from "./service-account-token-authenticator.js";
import { type AuthnEnv, authnEnv, ISSUER, KEEP, rsaKey, SECRETS } from "./test-env.js";

// Reference §1.6: the legacy-token validator with lookup, against the real registry, and the
// last-used label written in the background (§1.6, §9.4).

let env: AuthnEnv;
let auth: ServiceAccountTokenAuthenticator;

const newAuth = (lookup = true) =>
  createServiceAccountTokenAuthenticator({
    registry: env.registry,
    clock: env.clock,
    log: env.log,
    metrics: env.metrics,
    issuers: [ISSUER],
    keys: [rsaKey],
    lookup,
  });

beforeEach(async () => {
  env = await authnEnv();
  auth = newAuth();
});

const outcome = (r: TokenAuthenticationResult) => (r.ok ? "ok" : r.error);
const secretOf = async (name = "builder-token") =>
  (await env.registry.get(SECRETS, "myns", name)) as corev1.Secret;
const counter = (name: string) => metricValue(env.metrics, name);

const LEGACY_SUB = "system:serviceaccount:myns:builder";
const fullClaims = {
  iss: LEGACY_ISSUER,
  sub: LEGACY_SUB,
  "kubernetes.io/serviceaccount/namespace": "myns",
  "kubernetes.io/serviceaccount/secret.name": "builder-token",
  "kubernetes.io/serviceaccount/service-account.name": "builder",
  "kubernetes.io/serviceaccount/service-account.uid": "uid-1",
};
const without = (key: keyof typeof fullClaims) => {
  const { [key]: _dropped, ...rest } = fullClaims;
  return rest;
};

describe("§1.6 step 1-2: required claims, each checked in order", () => {
  const table: [string, object, string][] = [
    ["sub missing", without("sub"), "sub claim is missing"],
    ["namespace missing", without("kubernetes.io/serviceaccount/namespace"), "namespace claim is missing"],
    [
      "secret name missing",
      without("kubernetes.io/serviceaccount/secret.name"),
      "secretName claim is missing",
    ],
    [
      "service account name missing",
      without("kubernetes.io/serviceaccount/service-account.name"),
      "serviceAccountName claim is missing",
    ],
    [
      "service account uid missing",
      without("kubernetes.io/serviceaccount/service-account.uid"),
      "serviceAccountUID claim is missing",
    ],
    [
      "sub names another account",
      { ...fullClaims, sub: "system:serviceaccount:myns:other" },
      "sub claim is invalid",
    ],
    ["sub not a service account", { ...fullClaims, sub: "alice" }, "sub claim is invalid"],
  ];
  it.each(table)("%s", async (_name, claims, expected) => {
    expect(outcome(await auth.authenticateToken(signToken(rsaKey, claims), undefined))).toBe(expected);
  });
});

describe("§1.6 step 3: lookup", () => {
  const table: { name: string; run(e: AuthnEnv): Promise<string>; expected: string }[] = [
    {
      name: "Secret missing",
      run: async (e) => {
        const sa = await e.createServiceAccount("myns", "builder");
        const token = await e.createLegacyToken(sa, "builder-token");
        await e.remove("secret", "myns", "builder-token");
        return token;
      },
      expected: "Token has been invalidated",
    },
    {
      name: "Secret being deleted: no grace for legacy tokens",
      run: async (e) => {
        const sa = await e.createServiceAccount("myns", "builder");
        const token = await e.createLegacyToken(sa, "builder-token", { finalizers: [KEEP] });
        await e.remove("secret", "myns", "builder-token");
        return token;
      },
      expected: "Token has been invalidated",
    },
    {
      name: "Secret holds another token",
      run: async (e) => {
        const sa = await e.createServiceAccount("myns", "builder");
        const token = await e.createLegacyToken(sa, "builder-token");
        await e.registry.guaranteedUpdate(e.ctx(), SECRETS, "myns", "builder-token", (cur) => {
          const next = clone(corev1.SecretSchema, cur as corev1.Secret);
          next.data.token = Buffer.from("something-else");
          return next;
        });
        return token;
      },
      expected: "Token does not match server's copy",
    },
    {
      name: "ServiceAccount missing: the getter's error verbatim",
      run: async (e) => {
        const sa = await e.createServiceAccount("myns", "builder");
        const token = await e.createLegacyToken(sa, "builder-token");
        await e.remove("sa", "myns", "builder");
        return token;
      },
      expected: 'serviceaccounts "builder" not found',
    },
    {
      name: "ServiceAccount being deleted: no grace",
      run: async (e) => {
        const sa = await e.createServiceAccount("myns", "builder", [], [KEEP]);
        const token = await e.createLegacyToken(sa, "builder-token");
        await e.remove("sa", "myns", "builder");
        return token;
      },
      expected: "ServiceAccount myns/builder has been deleted",
    },
    {
      name: "ServiceAccount recreated: UID mismatch",
      run: async (e) => {
        const sa = await e.createServiceAccount("myns", "builder");
        const token = await e.createLegacyToken(sa, "builder-token");
        await e.remove("sa", "myns", "builder");
        const live = await e.createServiceAccount("myns", "builder");
        return `${token}|ServiceAccount UID (${live.metadata?.uid}) does not match claim (${sa.metadata?.uid})`;
      },
      expected: "<from run>",
    },
    {
      name: "marked invalid",
      run: async (e) => {
        const sa = await e.createServiceAccount("myns", "builder");
        return e.createLegacyToken(sa, "builder-token", {
          autogenerated: true,
          labels: { "kubernetes.io/legacy-token-invalid-since": "2023-06-01" },
        });
      },
      expected:
        "the token in secret myns/builder-token for service account myns/builder has been marked invalid. " +
        "Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the " +
        "'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token",
    },
  ];
  it.each(table)("$name", async ({ run, expected }) => {
    const produced = await run(env);
    const [token, fromRun] = produced.split("|") as [string, string | undefined];
    expect(outcome(await auth.authenticateToken(token, undefined))).toBe(fromRun ?? expected);
    await auth.idle();
  });

  it("lookup off: only the claims are checked", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = await env.createLegacyToken(sa, "builder-token");
    await env.remove("secret", "myns", "builder-token");
    await env.remove("sa", "myns", "builder");
    expect(outcome(await newAuth(false).authenticateToken(token, undefined))).toBe("ok");
  });
});

describe("§1.6 effects: warnings, audit annotations, counters", () => {
  it("an auto-generated token (listed in sa.secrets): warning and autogenerated-secret annotation", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = await env.createLegacyToken(sa, "builder-token", { autogenerated: true });
    const got = await auth.authenticateToken(token, undefined);
    expect(got.ok && [got.warnings, got.auditAnnotations]).toStrictEqual([
      [
        "Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens.",
      ],
      {
        "authentication.k8s.io/legacy-token": LEGACY_SUB,
        "authentication.k8s.io/legacy-token-autogenerated-secret": "builder-token",
      },
    ]);
    expect(await counter("serviceaccount_legacy_auto_token_uses_total")).toBe(1);
    expect(await counter("serviceaccount_legacy_tokens_total")).toBe(1);
    await auth.idle();
  });

  it("a manual token: no warning, manual-secret annotation", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = await env.createLegacyToken(sa, "builder-token");
    const got = await auth.authenticateToken(token, undefined);
    expect(got.ok && [got.warnings, got.auditAnnotations]).toStrictEqual([
      [],
      {
        "authentication.k8s.io/legacy-token": LEGACY_SUB,
        "authentication.k8s.io/legacy-token-manual-secret": "builder-token",
      },
    ]);
    expect(await counter("serviceaccount_legacy_manual_token_uses_total")).toBe(1);
    await auth.idle();
  });

  it("a token marked invalid: invalidated annotation (name/namespace), counter, and its last-used label still written", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = await env.createLegacyToken(sa, "builder-token", {
      autogenerated: true,
      labels: { "kubernetes.io/legacy-token-invalid-since": "2023-06-01" },
    });
    const got = await auth.authenticateToken(token, undefined);
    expect(!got.ok && got.auditAnnotations).toStrictEqual({
      "authentication.k8s.io/legacy-token": LEGACY_SUB,
      "authentication.k8s.io/legacy-token-invalidated": "builder-token/myns",
    });
    expect(await counter("serviceaccount_invalid_legacy_auto_token_uses_total")).toBe(1);
    await auth.idle();
    expect((await secretOf()).metadata?.labels).toStrictEqual({
      "kubernetes.io/legacy-token-invalid-since": "2023-06-01",
      "kubernetes.io/legacy-token-last-used": "2024-01-01",
    });
  });
});

describe("§1.6 last-used label", () => {
  it("is written once per day, off the request path, at most one write in flight", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = await env.createLegacyToken(sa, "builder-token");
    const before = (await secretOf()).metadata?.resourceVersion;

    // 5 concurrent clients × 4 requests (reference §4.4's integration test shape).
    const client = async () => {
      for (let i = 0; i < 4; i++) expect((await auth.authenticateToken(token, undefined)).ok).toBe(true);
    };
    await Promise.all(Array.from({ length: 5 }, client));
    await auth.idle();
    const first = await secretOf();
    expect(first.metadata?.labels["kubernetes.io/legacy-token-last-used"]).toBe("2024-01-01");
    expect(Number(first.metadata?.resourceVersion)).toBe(Number(before) + 1);

    // Same day: nothing more is written.
    await env.clock.advance(23 * 3600 * 1000);
    await auth.authenticateToken(token, undefined);
    await auth.idle();
    expect((await secretOf()).metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);

    // Next UTC day: the label moves on.
    await env.clock.advance(3600 * 1000);
    await auth.authenticateToken(token, undefined);
    await auth.idle();
    expect((await secretOf()).metadata?.labels["kubernetes.io/legacy-token-last-used"]).toBe("2024-01-02");
  });

  it("a label saying tomorrow (clock skew between servers) is left alone", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = await env.createLegacyToken(sa, "builder-token", {
      labels: { "kubernetes.io/legacy-token-last-used": "2024-01-02" },
    });
    const before = (await secretOf()).metadata?.resourceVersion;
    await auth.authenticateToken(token, undefined);
    await auth.idle();
    expect((await secretOf()).metadata?.resourceVersion).toBe(before);
  });

  it("a failed write is only logged: the request still succeeds", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = await env.createLegacyToken(sa, "builder-token");
    // The Secret is replaced between the read and the write: the uid precondition fails.
    const lines: string[] = [];
    const failing = createServiceAccountTokenAuthenticator({
      registry: env.registry,
      clock: env.clock,
      log: createLogger({
        service: "test",
        pretty: false,
        destination: { write: (l: string) => lines.push(l) },
      }),
      issuers: [ISSUER],
      keys: [rsaKey],
      getter: {
        getServiceAccount: async () => ({ uid: sa.metadata?.uid ?? "", secrets: [] }),
        getSecret: async () => ({ uid: "some-older-uid", token, labels: {} }),
        getPod: async () => ({ uid: "" }),
        getNode: async () => ({ uid: "" }),
      },
    });
    const got = await failing.authenticateToken(token, undefined);
    expect(got.ok).toBe(true);
    await failing.idle();
    expect((await secretOf()).metadata?.labels).toStrictEqual({});
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => [l.msg, l.secret, l.err])).toStrictEqual([
      [
        "failed to update the legacy token last-used label",
        "builder-token",
        `Operation cannot be fulfilled on secrets "builder-token": Precondition failed: UID in precondition: some-older-uid, UID in object meta: ${(await secretOf()).metadata?.uid}`,
      ],
    ]);
    expect(lines.join("").includes(token)).toBe(false);
  });
});
