import { signToken } from "@tokenplane/crypto";
import { createMetrics, FakeClock } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import type { TokenAuthenticationResult, TokenAuthenticator } from "./authenticator.js";
import { createServiceAccountTokenAuthenticator } from "./service-account-token-authenticator.js";
import { authnEnv, boundTokenClaims, ISSUER, refOf, rsaKey } from "./test-env.js";
import { createCachedTokenAuthenticator } from "./token-cache.js";

// Reference §1.3: successes cached 10 s, failures not cached.

/** An inner authenticator that answers from a table and counts its calls. */
function fakeInner(answers: Record<string, TokenAuthenticationResult>) {
  const calls: { token: string; audiences: string[] | undefined }[] = [];
  const inner: TokenAuthenticator = {
    async authenticateToken(token, audiences) {
      calls.push({ token, audiences });
      await new Promise((resolve) => setImmediate(resolve));
      return answers[token] ?? { ok: false };
    },
  };
  return { inner, calls };
}

const success = (name: string): TokenAuthenticationResult => ({
  ok: true,
  user: { username: name, uid: `${name}-uid`, groups: ["g"], extra: { k: ["v"] } },
  audiences: ["api"],
  warnings: ["a warning"],
  auditAnnotations: { "example.com/a": "b" },
});

describe("token success cache", () => {
  it("reuses a success for 10 s, then asks again", async () => {
    const clock = new FakeClock(0);
    const { inner, calls } = fakeInner({ good: success("alice") });
    const cache = createCachedTokenAuthenticator(inner, { clock });
    expect(await cache.authenticateToken("good", undefined)).toStrictEqual(success("alice"));
    await clock.advance(9_999);
    // Warnings and audit annotations of the cached success are replayed.
    expect(await cache.authenticateToken("good", undefined)).toStrictEqual(success("alice"));
    expect(calls.length).toBe(1);
    await clock.advance(1);
    await cache.authenticateToken("good", undefined);
    expect(calls.length).toBe(2);
  });

  it("never caches a failure or a token nobody recognised", async () => {
    const clock = new FakeClock(0);
    const { inner, calls } = fakeInner({ bad: { ok: false, error: "service account token has expired" } });
    const cache = createCachedTokenAuthenticator(inner, { clock });
    for (let i = 0; i < 3; i++) {
      expect(await cache.authenticateToken("bad", undefined)).toStrictEqual({
        ok: false,
        error: "service account token has expired",
      });
      expect(await cache.authenticateToken("unknown", undefined)).toStrictEqual({ ok: false });
    }
    expect(calls.length).toBe(6);
    expect(cache.size).toBe(0);
  });

  it("keys by the requested audiences too; undefined and [] both mean the API audiences", async () => {
    const clock = new FakeClock(0);
    const { inner, calls } = fakeInner({ good: success("alice") });
    const cache = createCachedTokenAuthenticator(inner, { clock });
    await cache.authenticateToken("good", undefined);
    await cache.authenticateToken("good", []);
    await cache.authenticateToken("good", ["vault"]);
    await cache.authenticateToken("good", ["vault"]);
    // ["a","bc"] and ["ab","c"] must not collide (length-prefixed).
    await cache.authenticateToken("good", ["a", "bc"]);
    await cache.authenticateToken("good", ["ab", "c"]);
    expect(calls.map((c) => c.audiences)).toStrictEqual([undefined, ["vault"], ["a", "bc"], ["ab", "c"]]);
  });

  it("hands out copies: a caller changing its result does not change the cache", async () => {
    const clock = new FakeClock(0);
    const { inner } = fakeInner({ good: success("alice") });
    const cache = createCachedTokenAuthenticator(inner, { clock });
    const first = await cache.authenticateToken("good", undefined);
    if (!first.ok) throw new Error("expected success");
    first.user.groups.push("system:masters");
    first.user.extra.k?.push("x");
    first.warnings.length = 0;
    expect(await cache.authenticateToken("good", undefined)).toStrictEqual(success("alice"));
  });

  it("shares one lookup between concurrent requests for the same token", async () => {
    const clock = new FakeClock(0);
    const { inner, calls } = fakeInner({ good: success("alice"), bad: { ok: false, error: "nope" } });
    const cache = createCachedTokenAuthenticator(inner, { clock });
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => cache.authenticateToken("good", undefined)),
      ...Array.from({ length: 3 }, () => cache.authenticateToken("bad", undefined)),
    ]);
    expect(results.filter((r) => r.ok).length).toBe(5);
    expect(calls.map((c) => c.token)).toStrictEqual(["good", "bad"]);
  });

  it("is bounded: the least recently used entry goes first", async () => {
    const clock = new FakeClock(0);
    const { inner, calls } = fakeInner({ a: success("a"), b: success("b"), c: success("c") });
    const cache = createCachedTokenAuthenticator(inner, { clock, maxEntries: 2 });
    await cache.authenticateToken("a", undefined);
    await cache.authenticateToken("b", undefined);
    await cache.authenticateToken("a", undefined); // a is now the most recent
    await cache.authenticateToken("c", undefined); // evicts b
    expect(cache.size).toBe(2);
    await cache.authenticateToken("a", undefined);
    await cache.authenticateToken("b", undefined);
    expect(calls.map((c) => c.token)).toStrictEqual(["a", "b", "c", "b"]);
  });

  it("counts hits and misses in authentication_token_cache_request_total", async () => {
    const clock = new FakeClock(0);
    const metrics = createMetrics({ service: "apiserver", defaultMetrics: false });
    const { inner } = fakeInner({ good: success("alice") });
    const cache = createCachedTokenAuthenticator(inner, { clock, metrics });
    await cache.authenticateToken("good", undefined);
    await cache.authenticateToken("good", undefined);
    await cache.authenticateToken("good", undefined);
    expect(await metrics.getSingleMetricAsString("authentication_token_cache_request_total")).toBe(
      [
        "# HELP authentication_token_cache_request_total Total number of requests to the token cache, by hit or miss.",
        "# TYPE authentication_token_cache_request_total counter",
        'authentication_token_cache_request_total{status="miss",service="apiserver"} 1',
        'authentication_token_cache_request_total{status="hit",service="apiserver"} 2',
      ].join("\n"),
    );
  });

  it("TTL 0 disables it", async () => {
    const clock = new FakeClock(0);
    const { inner, calls } = fakeInner({ good: success("alice") });
    const cache = createCachedTokenAuthenticator(inner, { clock, successTtlMs: 0 });
    await cache.authenticateToken("good", undefined);
    await cache.authenticateToken("good", undefined);
    expect(calls.length).toBe(2);
  });

  it("as in Kubernetes, a deleted pod's token stays valid through the cache for up to 10 s", async () => {
    const env = await authnEnv();
    const cache = createCachedTokenAuthenticator(
      createServiceAccountTokenAuthenticator({
        registry: env.registry,
        clock: env.clock,
        log: env.log,
        issuers: [ISSUER],
        keys: [rsaKey],
      }),
      { clock: env.clock },
    );
    const sa = await env.createServiceAccount("myns", "builder");
    const pod = await env.createPod("myns", "web", "builder");
    const token = signToken(rsaKey, boundTokenClaims(sa, env.nowSeconds(), { pod: refOf(pod) }));
    expect((await cache.authenticateToken(token, undefined)).ok).toBe(true);
    await env.remove("pod", "myns", "web");
    await env.clock.advance(9_999);
    expect((await cache.authenticateToken(token, undefined)).ok).toBe(true);
    await env.clock.advance(1);
    expect(await cache.authenticateToken(token, undefined)).toStrictEqual({
      ok: false,
      error: "service account token has been invalidated",
      auditAnnotations: {},
    });
  });
});
