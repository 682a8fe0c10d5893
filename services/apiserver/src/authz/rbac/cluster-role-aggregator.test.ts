import type { rbacv1 } from "@tokenplane/proto";
import { afterEach, describe, expect, it } from "vitest";
import { systemContext } from "../../request/context.js";
import { createClusterRoleAggregator } from "./cluster-role-aggregator.js";
import { compactString } from "./policy-comparator.js";
import { CLUSTERROLES, clusterRole, eventually, rbacRegistry, silentLog } from "./rbac-test-env.js";

let stops: AbortController[] = [];
afterEach(() => {
  for (const s of stops) s.abort();
  stops = [];
});

const label = { "example.com/aggregate-to-monitoring": "true" };

describe("cluster role aggregator", () => {
  it("writes the gathered rules into aggregated roles and keeps them current", async () => {
    const registry = await rbacRegistry();
    const ctx = systemContext;
    await registry.create(
      ctx(),
      CLUSTERROLES,
      "",
      clusterRole("monitoring", [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: label }] } }),
    );
    await registry.create(
      ctx(),
      CLUSTERROLES,
      "",
      clusterRole("pods-part", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], { labels: label }),
    );
    const stop = new AbortController();
    stops.push(stop);
    const aggregator = createClusterRoleAggregator({ registry, ctx, log: silentLog, delayMs: 1 });
    await aggregator.start(stop.signal);
    const stored = async () =>
      ((await registry.get(CLUSTERROLES, "", "monitoring")) as rbacv1.ClusterRole).rules.map(compactString);
    await eventually(async () =>
      expect(await stored()).toEqual(['{APIGroups:[""], Resources:["pods"], Verbs:["get"]}']),
    );

    await registry.create(
      ctx(),
      CLUSTERROLES,
      "",
      clusterRole("health-part", [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }], { labels: label }),
    );
    await eventually(async () =>
      expect(await stored()).toEqual([
        '{NonResourceURLs:["/healthz"], Verbs:["get"]}',
        '{APIGroups:[""], Resources:["pods"], Verbs:["get"]}',
      ]),
    );
    await registry.delete(ctx(), CLUSTERROLES, "", "pods-part");
    await eventually(async () =>
      expect(await stored()).toEqual(['{NonResourceURLs:["/healthz"], Verbs:["get"]}']),
    );

    // Settled: no further writes once the stored rules match.
    await aggregator.idle();
    const rv = (await registry.get(CLUSTERROLES, "", "monitoring")).metadata?.resourceVersion;
    await new Promise((r) => setTimeout(r, 30));
    await aggregator.idle();
    expect((await registry.get(CLUSTERROLES, "", "monitoring")).metadata?.resourceVersion).toBe(rv);
  });
});
