import { newServiceUnavailable } from "@tokenplane/apimachinery";
import { FakeClock, metricValue } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import { isKubeletSimError } from "../errors.js";
import { createKubeletMetrics } from "../metrics/kubelet-metrics.js";
import { captureLogger } from "../testing/capture-logger.js";
import { GC_PERIOD_MS, type TokenRequestLike, type TokenSpec } from "./refresh-rules.js";
import { TokenManager } from "./token-manager.js";

const T0 = Date.UTC(2024, 0, 1);

/** A fake apiserver: issues `t1`, `t2`, ... expiring `expirationSeconds` from now; fails while `failing`. */
function fakeApi(clock: FakeClock) {
  const calls: Array<{ namespace: string; name: string; spec: TokenSpec }> = [];
  const api = {
    calls,
    failing: false as boolean,
    async fetch(namespace: string, name: string, spec: TokenSpec): Promise<TokenRequestLike> {
      calls.push({ namespace, name, spec });
      if (api.failing) throw newServiceUnavailable("apiserver is down");
      const seconds = spec.expirationSeconds ?? 3600;
      return {
        spec: { ...spec, expirationSeconds: seconds },
        status: { token: `t${calls.length}`, expirationTimestamp: clock.now() + seconds * 1000 },
      };
    },
  };
  return api;
}

function setup(random = () => 0) {
  const clock = new FakeClock(T0);
  const api = fakeApi(clock);
  const captured = captureLogger();
  const metrics = createKubeletMetrics();
  const manager = new TokenManager({
    clock,
    log: captured.log,
    fetch: (ns, name, spec) => api.fetch(ns, name, spec),
    random,
    cachedGauge: metrics.tokensCached,
    refreshFailures: metrics.tokenRefreshFailures,
  });
  return { clock, api, manager, captured, metrics };
}

const podSpec = (uid: string, expirationSeconds?: number): TokenSpec => ({
  ...(expirationSeconds === undefined ? {} : { expirationSeconds }),
  boundObjectRef: { kind: "Pod", apiVersion: "v1", name: `pod-${uid}`, uid },
});

describe("TokenManager.getServiceAccountToken (reference §5)", () => {
  it("serves the cached token until 80 % of its lifetime, then refreshes", async () => {
    const { clock, api, manager, metrics } = setup();
    const spec = podSpec("u1", 3607);
    const first = await manager.getServiceAccountToken("ns", "default", spec);
    expect(first.fetched).toBe(true);
    expect(first.token.request.status.token).toBe("t1");
    await clock.advance(2886_000); // exactly 2886 s: not yet (strictly after)
    expect((await manager.getServiceAccountToken("ns", "default", spec)).token.request.status.token).toBe(
      "t1",
    );
    await clock.advance(1);
    const second = await manager.getServiceAccountToken("ns", "default", spec);
    expect(second.fetched).toBe(true);
    expect(second.token.request.status.token).toBe("t2");
    expect(api.calls).toHaveLength(2);
    expect(await metricValue(metrics.registry, "kubelet_sim_tokens_cached")).toBe(1);
  });

  it("subtracts the injected jitter (0.95 → 9 s)", async () => {
    const { clock, manager } = setup(() => 0.95);
    const spec = podSpec("u1", 3607);
    const first = await manager.getServiceAccountToken("ns", "default", spec);
    expect(first.token.jitterSeconds).toBe(9);
    expect(manager.refreshDueAt("ns", "default", spec)).toBe(T0 + 2877_000);
    await clock.advance(2877_001);
    expect((await manager.getServiceAccountToken("ns", "default", spec)).fetched).toBe(true);
  });

  it("refreshes a long-lived token after 24 h", async () => {
    const { clock, manager } = setup();
    const spec = podSpec("u1", 7 * 86_400);
    await manager.getServiceAccountToken("ns", "default", spec);
    await clock.advance(86_400_000);
    expect((await manager.getServiceAccountToken("ns", "default", spec)).fetched).toBe(false);
    await clock.advance(1);
    expect((await manager.getServiceAccountToken("ns", "default", spec)).fetched).toBe(true);
  });

  it("never refreshes a token whose answer has no expirationSeconds", async () => {
    const clock = new FakeClock(T0);
    let n = 0;
    const manager = new TokenManager({
      clock,
      log: captureLogger().log,
      random: () => 0,
      fetch: async () => ({
        spec: {},
        status: { token: `t${++n}`, expirationTimestamp: clock.now() + 1000 },
      }),
    });
    await manager.getServiceAccountToken("ns", "default", podSpec("u1"));
    await clock.advance(10 * 86_400_000);
    const again = await manager.getServiceAccountToken("ns", "default", podSpec("u1"));
    expect(again.fetched).toBe(false);
    expect(again.token.request.status.token).toBe("t1");
    expect(manager.refreshDueAt("ns", "default", podSpec("u1"))).toBeUndefined();
  });

  it("keeps serving the old token while a refresh fails, and logs Couldn't update token", async () => {
    const { clock, api, manager, captured, metrics } = setup();
    const spec = podSpec("u1", 600);
    await manager.getServiceAccountToken("ns", "default", spec);
    await clock.advance(500_000); // due at 480 s
    api.failing = true;
    const result = await manager.getServiceAccountToken("ns", "default", spec);
    expect(result.fetched).toBe(false);
    expect(result.token.request.status.token).toBe("t1");
    expect(String(result.refreshError)).toContain("apiserver is down");
    expect(captured.messages()).toContain("Couldn't update token");
    expect(await metricValue(metrics.registry, "kubelet_sim_token_refresh_failures_total")).toBe(1);
    api.failing = false;
    expect((await manager.getServiceAccountToken("ns", "default", spec)).token.request.status.token).toBe(
      "t3",
    );
  });

  it("fails with the kubelet's text when nothing is cached", async () => {
    const { api, manager } = setup();
    api.failing = true;
    const err = await manager
      .getServiceAccountToken("ns", "default", podSpec("u1", 600))
      .catch((e: unknown) => e);
    expect(isKubeletSimError(err, "ERR_TOKEN_FETCH")).toBe(true);
    expect((err as Error).message).toBe("failed to fetch token: apiserver is down");
  });

  it("fails with the kubelet's text when the cached token has expired", async () => {
    const { clock, api, manager } = setup();
    const spec = podSpec("u1", 600);
    await manager.getServiceAccountToken("ns", "default", spec);
    await clock.advance(600_001);
    api.failing = true;
    const err = await manager.getServiceAccountToken("ns", "default", spec).catch((e: unknown) => e);
    expect(isKubeletSimError(err, "ERR_TOKEN_EXPIRED")).toBe(true);
    expect((err as Error).message).toBe(
      'token "default"/"ns"/[]string(nil)/600/v1.BoundObjectReference{Kind:"Pod", APIVersion:"v1", Name:"pod-u1", UID:"u1"} expired and refresh failed: apiserver is down',
    );
  });

  it("keys the cache by everything asked: audience, lifetime and bound pod", async () => {
    const { api, manager } = setup();
    await manager.getServiceAccountToken("ns", "default", podSpec("u1", 600));
    await manager.getServiceAccountToken("ns", "default", { ...podSpec("u1", 600), audiences: ["vault"] });
    await manager.getServiceAccountToken("ns", "default", podSpec("u1", 700));
    await manager.getServiceAccountToken("ns", "default", podSpec("u2", 600));
    await manager.getServiceAccountToken("ns", "other", podSpec("u1", 600));
    await manager.getServiceAccountToken("ns2", "default", podSpec("u1", 600));
    await manager.getServiceAccountToken("ns", "default", podSpec("u1", 600));
    expect(api.calls).toHaveLength(6);
    expect(manager.size).toBe(6);
  });
});

describe("TokenManager garbage collection and DeleteServiceAccountToken", () => {
  it("drops expired entries at the one-minute cleanup and keeps the others", async () => {
    const { clock, manager, metrics } = setup();
    await manager.getServiceAccountToken("ns", "default", podSpec("short", 30));
    await manager.getServiceAccountToken("ns", "default", podSpec("long", 3600));
    expect(manager.size).toBe(2);
    await clock.advance(GC_PERIOD_MS);
    expect(manager.cleanup()).toBe(1);
    expect(manager.size).toBe(1);
    expect(manager.cached("ns", "default", podSpec("long", 3600))).toBeDefined();
    expect(manager.cached("ns", "default", podSpec("short", 30))).toBeUndefined();
    expect(await metricValue(metrics.registry, "kubelet_sim_tokens_cached")).toBe(1);
  });

  it("drops every entry bound to a pod's uid, and only those", async () => {
    const { manager } = setup();
    await manager.getServiceAccountToken("ns", "default", podSpec("u1", 600));
    await manager.getServiceAccountToken("ns", "default", { ...podSpec("u1", 600), audiences: ["vault"] });
    await manager.getServiceAccountToken("ns", "default", podSpec("u2", 600));
    expect(manager.deleteServiceAccountToken("u1")).toBe(2);
    expect(manager.size).toBe(1);
    expect(manager.deleteServiceAccountToken("u1")).toBe(0);
    expect(manager.cached("ns", "default", podSpec("u2", 600))).toBeDefined();
  });

  it("adopts a token from disk without a TokenRequest and refreshes it when due", async () => {
    const { clock, api, manager } = setup();
    const spec = podSpec("u1", 3607);
    manager.adopt("ns", "default", spec, {
      spec,
      status: { token: "from-disk", expirationTimestamp: T0 + 3607_000 - 1000_000 },
    });
    const served = await manager.getServiceAccountToken("ns", "default", spec);
    expect(served.token.request.status.token).toBe("from-disk");
    expect(api.calls).toHaveLength(0);
    await clock.advance(1886_001); // issued 1000 s before T0: due 2886 s after issue
    expect((await manager.getServiceAccountToken("ns", "default", spec)).fetched).toBe(true);
  });
});
