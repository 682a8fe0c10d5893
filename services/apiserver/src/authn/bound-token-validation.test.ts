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
  ISSUER,
  KEEP,
  NODES,
  PODS,
  refOf,
  rsaKey,
  SA,
  SECRETS,
} from "./test-env.js";

// Reference §1.5: the bound-token validator's checks, in order, with the objects in the real
// registry (memory store) and time on a fake clock.

let env: AuthnEnv;
let auth: ServiceAccountTokenAuthenticator;

beforeEach(async () => {
  env = await authnEnv();
  auth = createServiceAccountTokenAuthenticator({
    registry: env.registry,
    clock: env.clock,
    log: env.log,
    metrics: env.metrics,
    issuers: [ISSUER],
    keys: [rsaKey],
  });
});

const outcome = (r: TokenAuthenticationResult) => (r.ok ? "ok" : r.error);
const check = async (token: string) => outcome(await auth.authenticateToken(token, undefined));
const advance = (seconds: number) => env.clock.advance(seconds * 1000);

interface Case {
  name: string;
  /** Builds the world and the token; may move the clock. */
  run(env: AuthnEnv): Promise<string>;
  /** "ok" or the exact error text. */
  expected: string | ((env: AuthnEnv) => string);
}

const table: Case[] = [
  // 1. time claims, 60 s leeway
  {
    name: "exp 61 s ago: expired",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds() - 3661));
    },
    expected: "service account token has expired",
  },
  {
    name: "exp 60 s ago: still valid (leeway)",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds() - 3660));
    },
    expected: "ok",
  },
  {
    name: "nbf 61 s ahead: not valid yet (checked before iat)",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds() + 61));
    },
    expected: "service account token is not valid yet",
  },
  {
    name: "nbf and iat 60 s ahead: valid",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds() + 60));
    },
    expected: "ok",
  },
  {
    name: "iat 61 s ahead without nbf: issued in the future",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const { nbf: _nbf, ...claims } = boundTokenClaims(sa, e.nowSeconds() + 61);
      return signToken(rsaKey, claims);
    },
    expected: "service account token is issued in the future",
  },
  {
    name: "no exp at all: never expires",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const { exp: _exp, ...claims } = boundTokenClaims(sa, e.nowSeconds() - 10 * 365 * 86400);
      return signToken(rsaKey, claims);
    },
    expected: "ok",
  },
  // 2. the ServiceAccount
  {
    name: "ServiceAccount missing: the getter's error verbatim",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      await e.remove("sa", "myns", "builder");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds()));
    },
    expected: 'serviceaccounts "builder" not found',
  },
  {
    name: "ServiceAccount recreated: UID mismatch",
    run: async (e) => {
      const old = await e.createServiceAccount("myns", "builder");
      await e.remove("sa", "myns", "builder");
      await e.createServiceAccount("myns", "builder");
      return signToken(rsaKey, boundTokenClaims(old, e.nowSeconds()));
    },
    expected: "service account UID (<live sa>) does not match claim (<old sa>)",
  },
  {
    name: "ServiceAccount deleted 60 s ago: still valid (grace)",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder", [], [KEEP]);
      await e.remove("sa", "myns", "builder");
      await advance(60);
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds()));
    },
    expected: "ok",
  },
  {
    name: "ServiceAccount deleted 61 s ago: deleted",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder", [], [KEEP]);
      await e.remove("sa", "myns", "builder");
      await advance(61);
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds()));
    },
    expected: "service account myns/builder has been deleted",
  },
  {
    name: "UID is checked before deletion",
    run: async (e) => {
      await e.createServiceAccount("myns", "builder", [], [KEEP]);
      await e.remove("sa", "myns", "builder");
      await advance(61);
      const fake = { metadata: { namespace: "myns", name: "builder", uid: "old-uid" } };
      return signToken(rsaKey, boundTokenClaims(fake as never, e.nowSeconds()));
    },
    expected: "service account UID (<live sa>) does not match claim (old-uid)",
  },
  // 3. secret
  {
    name: "secret missing: invalidated",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { secret: { name: "gone", uid: "u" } }));
    },
    expected: "service account token has been invalidated",
  },
  {
    name: "secret recreated: UID mismatch",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const old = await e.createSecret("myns", "s1");
      await e.remove("secret", "myns", "s1");
      await e.createSecret("myns", "s1");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { secret: refOf(old) }));
    },
    expected: "secret UID (<live secret>) does not match service account secret ref claim (<old secret>)",
  },
  {
    name: "secret deleted 60 s ago: valid",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const secret = await e.createSecret("myns", "s1", [KEEP]);
      await e.remove("secret", "myns", "s1");
      await advance(60);
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { secret: refOf(secret) }));
    },
    expected: "ok",
  },
  {
    name: "secret deleted 61 s ago: invalidated",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const secret = await e.createSecret("myns", "s1", [KEEP]);
      await e.remove("secret", "myns", "s1");
      await advance(61);
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { secret: refOf(secret) }));
    },
    expected: "service account token has been invalidated",
  },
  // 4. pod
  {
    name: "pod missing: invalidated",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const pod = await e.createPod("myns", "web", "builder");
      await e.remove("pod", "myns", "web");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { pod: refOf(pod) }));
    },
    expected: "service account token has been invalidated",
  },
  {
    name: "pod recreated: UID mismatch",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const old = await e.createPod("myns", "web", "builder");
      await e.remove("pod", "myns", "web");
      await e.createPod("myns", "web", "builder");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { pod: refOf(old) }));
    },
    expected: "pod UID (<live pod>) does not match service account pod ref claim (<old pod>)",
  },
  {
    name: "pod terminating with 30 s grace: valid until deletionTimestamp + 60 s",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const pod = await e.createPod("myns", "web", "builder", { nodeName: "n1" });
      await e.registry.delete(e.ctx(), PODS, "myns", "web"); // deletionTimestamp = now + 30 s
      await advance(90);
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { pod: refOf(pod) }));
    },
    expected: "ok",
  },
  {
    name: "pod terminating with 30 s grace: invalid 61 s after deletionTimestamp",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const pod = await e.createPod("myns", "web", "builder", { nodeName: "n1" });
      await e.registry.delete(e.ctx(), PODS, "myns", "web");
      await advance(91);
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { pod: refOf(pod) }));
    },
    expected: "service account token has been invalidated",
  },
  {
    name: "pod with node info: the node is not looked up",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const pod = await e.createPod("myns", "web", "builder", { nodeName: "n1" });
      return signToken(
        rsaKey,
        boundTokenClaims(sa, e.nowSeconds(), { pod: refOf(pod), node: { name: "no-such-node", uid: "x" } }),
      );
    },
    expected: "ok",
  },
  // 5. node
  {
    name: "node missing: invalidated",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { node: { name: "n1", uid: "u" } }));
    },
    expected: "service account token has been invalidated",
  },
  {
    name: "node recreated: UID mismatch",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const old = await e.createNode("n1");
      await e.remove("node", "", "n1");
      await e.createNode("n1");
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { node: refOf(old) }));
    },
    expected: "node UID (<live node>) does not match service account node ref claim (<old node>)",
  },
  {
    name: "node deleted 61 s ago: invalidated",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const node = await e.createNode("n1", [KEEP]);
      await e.remove("node", "", "n1");
      await advance(61);
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { node: refOf(node) }));
    },
    expected: "service account token has been invalidated",
  },
  {
    name: "node deleted 60 s ago: valid",
    run: async (e) => {
      const sa = await e.createServiceAccount("myns", "builder");
      const node = await e.createNode("n1", [KEEP]);
      await e.remove("node", "", "n1");
      await advance(60);
      return signToken(rsaKey, boundTokenClaims(sa, e.nowSeconds(), { node: refOf(node) }));
    },
    expected: "ok",
  },
];

/** Replaces `<live sa>`-style placeholders with the uids now stored, `<old ...>` with the first ones seen. */
async function resolve(text: string, uids: { old: Map<string, string> }): Promise<string> {
  const live = async (info: typeof SA, ns: string, name: string) =>
    (await env.registry.get(info, ns, name)).metadata?.uid ?? "";
  const replacements: [string, () => Promise<string>][] = [
    ["<live sa>", () => live(SA, "myns", "builder")],
    ["<live secret>", () => live(SECRETS, "myns", "s1")],
    ["<live pod>", () => live(PODS, "myns", "web")],
    ["<live node>", () => live(NODES, "", "n1")],
  ];
  let out = text;
  for (const [placeholder, value] of replacements)
    if (out.includes(placeholder)) out = out.replace(placeholder, await value());
  for (const [placeholder, value] of uids.old) out = out.replace(placeholder, value);
  return out;
}

describe("§1.5 bound-token validation, in Kubernetes' order", () => {
  it.each(table)("$name", async ({ run, expected }) => {
    const token = await run(env);
    const got = await check(token);
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as {
      "kubernetes.io": Record<string, { uid?: string }>;
    };
    const k = payload["kubernetes.io"];
    const old = new Map([
      ["<old sa>", k.serviceaccount?.uid ?? ""],
      ["<old secret>", k.secret?.uid ?? ""],
      ["<old pod>", k.pod?.uid ?? ""],
      ["<old node>", k.node?.uid ?? ""],
    ]);
    const want = await resolve(typeof expected === "string" ? expected : expected(env), { old });
    expect(got).toBe(want);
  });
});

describe("§1.5 step 6: warnafter", () => {
  it("after warnafter: stale-token audit annotation and serviceaccount_stale_tokens_total, never a rejection", async () => {
    const sa = await env.createServiceAccount("myns", "builder");
    const pod = await env.createPod("myns", "web", "builder");
    const token = signToken(
      rsaKey,
      boundTokenClaims(sa, env.nowSeconds(), {
        pod: refOf(pod),
        expirationSeconds: 31536000,
        warnafterSeconds: 3607,
      }),
    );
    const before = await auth.authenticateToken(token, undefined);
    expect(before.ok && before.auditAnnotations).toStrictEqual({});
    await advance(3607);
    const atThreshold = await auth.authenticateToken(token, undefined);
    expect(atThreshold.ok && atThreshold.auditAnnotations).toStrictEqual({});
    await advance(1);
    const after = await auth.authenticateToken(token, undefined);
    expect(after.ok && after.auditAnnotations).toStrictEqual({
      "authentication.k8s.io/stale-token":
        "subject: system:serviceaccount:myns:builder, seconds after warning threshold: 1",
    });
    const value = (name: string) => metricValue(env.metrics, name);
    expect([
      await value("serviceaccount_valid_tokens_total"),
      await value("serviceaccount_stale_tokens_total"),
    ]).toStrictEqual([2, 1]);
    expect(await env.metrics.getSingleMetricAsString("serviceaccount_stale_tokens_total")).toBe(
      [
        "# HELP serviceaccount_stale_tokens_total Cumulative stale projected service account tokens used",
        "# TYPE serviceaccount_stale_tokens_total counter",
        'serviceaccount_stale_tokens_total{service="apiserver"} 1',
      ].join("\n"),
    );
  });
});

describe("deletion grace override (--service-account-token-deletion-grace, test-only)", () => {
  it.each([
    [0, 0, "ok"],
    [0, 1, "service account token has been invalidated"],
    [5, 5, "ok"],
    [5, 6, "service account token has been invalidated"],
  ])("grace %i s, pod deleted %i s ago: %s", async (grace, ago, expected) => {
    const shortGrace = createServiceAccountTokenAuthenticator({
      registry: env.registry,
      clock: env.clock,
      log: env.log,
      issuers: [ISSUER],
      keys: [rsaKey],
      deletionGraceSeconds: grace,
    });
    const sa = await env.createServiceAccount("myns", "builder");
    const pod = await env.createPod("myns", "web", "builder", { finalizers: [KEEP] });
    await env.remove("pod", "myns", "web");
    await advance(ago);
    const token = signToken(rsaKey, boundTokenClaims(sa, env.nowSeconds(), { pod: refOf(pod) }));
    expect(outcome(await shortGrace.authenticateToken(token, undefined))).toBe(expected);
  });

  it("legacy tokens still have none", async () => {
    const noGrace = createServiceAccountTokenAuthenticator({
      registry: env.registry,
      clock: env.clock,
      log: env.log,
      issuers: [ISSUER],
      keys: [rsaKey],
      deletionGraceSeconds: 3600,
    });
    const sa = await env.createServiceAccount("myns", "builder");
    const token = await env.createLegacyToken(sa, "builder-token", { finalizers: [KEEP] });
    await env.remove("secret", "myns", "builder-token");
    expect(outcome(await noGrace.authenticateToken(token, undefined))).toBe("Token has been invalidated");
  });
});
