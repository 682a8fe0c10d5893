import { clone, create } from "@bufbuild/protobuf";
import { corev1, metav1 } from "@tokenplane/proto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AuthnEnv, authnEnv, CONFIGMAPS } from "../authn/test-env.js";
import { NS, namespace, testRegistry } from "../registry/test-registry.js";
import {
  isTrackingDate,
  type LegacyTokenTracking,
  startLegacyTokenTracking,
  TRACKING_CONFIGMAP_NAME,
  type TrackingSyncOutcome,
} from "./legacy-token-tracking.js";

// Reference §4.4: kube-system/kube-apiserver-legacy-service-account-token-tracking, data.since.

let env: AuthnEnv;
let running: LegacyTokenTracking[] = [];
let outcomes: (TrackingSyncOutcome | string)[] = [];

beforeEach(async () => {
  env = await authnEnv();
  outcomes = [];
});

afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()));
  running = [];
});

const start = (registry = env.registry, clock = env.clock) => {
  const tracking = startLegacyTokenTracking({
    registry,
    clock,
    log: env.log,
    onSync: (o) => outcomes.push(o instanceof Error ? `error: ${o.message}` : o),
  });
  running.push(tracking);
  return tracking;
};

/** Lets the controller's loops run until `done()` holds (fails after 2 s of real time). */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out; outcomes so far: ${JSON.stringify(outcomes)}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const since = async () => {
  const cm = (await env.registry.get(CONFIGMAPS, "kube-system", TRACKING_CONFIGMAP_NAME)) as corev1.ConfigMap;
  return cm.data.since;
};

const write = async (value: string) => {
  const cm = create(corev1.ConfigMapSchema, {
    metadata: create(metav1.ObjectMetaSchema, { name: TRACKING_CONFIGMAP_NAME }),
    data: { since: value },
  });
  await env.registry.create(env.ctx(), CONFIGMAPS, "kube-system", cm);
};

describe("legacy token tracking ConfigMap", () => {
  it("is created with today's UTC date when missing", async () => {
    await env.clock.advance(23 * 3600 * 1000 + 59 * 60 * 1000); // 2024-01-01T23:59Z
    start();
    await until(() => outcomes.includes("created"));
    expect(await since()).toBe("2024-01-01");
  });

  it("keeps a valid date, across restarts", async () => {
    await write("2023-05-05");
    await start().stop();
    start();
    await until(() => outcomes.length >= 2);
    expect(new Set(outcomes)).toStrictEqual(new Set(["unchanged"]));
    expect(await since()).toBe("2023-05-05");
  });

  it.each(["garbage", "2024-02-30", "2024-1-01", "", "2024-01-01T00:00:00Z"])(
    "overwrites an unparsable since %j with today",
    async (value) => {
      await env.clock.advance(5 * 86400 * 1000);
      await write(value);
      start();
      await until(() => outcomes.includes("repaired"));
      expect(await since()).toBe("2024-01-06");
    },
  );

  it("repairs a since broken while running (watch)", async () => {
    start();
    await until(() => outcomes.includes("created"));
    await env.registry.guaranteedUpdate(
      env.ctx(),
      CONFIGMAPS,
      "kube-system",
      TRACKING_CONFIGMAP_NAME,
      (cur) => {
        const next = clone(corev1.ConfigMapSchema, cur as corev1.ConfigMap);
        next.data.since = "yesterday";
        return next;
      },
    );
    await until(() => outcomes.includes("repaired"));
    expect(await since()).toBe("2024-01-01");
  });

  it("recreates a deleted ConfigMap, at most once per 30 minutes", async () => {
    start();
    await until(() => outcomes.includes("created"));
    await env.registry.delete(env.ctx(), CONFIGMAPS, "kube-system", TRACKING_CONFIGMAP_NAME);
    await until(() => outcomes.includes("rate-limited"));
    await env.clock.advance(30 * 60 * 1000 - 1);
    expect(outcomes.filter((o) => o === "created").length).toBe(1);
    await env.clock.advance(1);
    await until(() => outcomes.filter((o) => o === "created").length === 2);
    expect(await since()).toBe("2024-01-01");
  });

  it("retries while kube-system does not exist yet", async () => {
    const t = testRegistry();
    start(t.registry, t.clock);
    await until(() => outcomes.length === 1);
    expect(outcomes).toStrictEqual(['error: namespaces "kube-system" not found']);
    await t.registry.create(t.ctx(), NS, "", namespace("kube-system"));
    await t.clock.advance(1000);
    await until(() => outcomes.includes("created"));
    const cm = (await t.registry.get(CONFIGMAPS, "kube-system", TRACKING_CONFIGMAP_NAME)) as corev1.ConfigMap;
    expect(cm.data).toStrictEqual({ since: "2024-01-01" });
  });
});

describe("isTrackingDate (Go time.Parse with layout 2006-01-02)", () => {
  it.each([
    ["2024-01-01", true],
    ["2024-02-29", true],
    ["2023-02-29", false],
    ["2024-13-01", false],
    ["2024-00-10", false],
    ["24-01-01", false],
    ["2024-01-01 ", false],
  ])("%j → %s", (value, ok) => {
    expect(isTrackingDate(value)).toBe(ok);
  });
});
