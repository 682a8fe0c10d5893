import { msFromTime } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { planDelete, shouldDeleteDuringUpdate } from "./graceful-delete.js";
import { podStrategy } from "./strategies/pod.js";
import { serviceAccountStrategy } from "./strategies/service-account.js";
import { anyStrategy } from "./strategy.js";
import { objectFrom } from "./test-objects.js";

const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
const pods = anyStrategy(podStrategy);
const sas = anyStrategy(serviceAccountStrategy);

const pod = (meta: Record<string, unknown> = {}, spec: Record<string, unknown> = { nodeName: "n1" }) => {
  const p = objectFrom(corev1.PodSchema, {
    metadata: { name: "p", namespace: "ns", generation: 1, ...meta },
    spec: { containers: [{ name: "c", image: "a" }], ...spec },
    status: { phase: "Running" },
  } as never);
  podStrategy.default(p);
  return p;
};
const marked = (plan: ReturnType<typeof planDelete>) => {
  if (plan.action !== "mark") throw new Error(`expected mark, got ${plan.action}`);
  const m = plan.object.metadata!;
  return {
    at: msFromTime(m.deletionTimestamp),
    grace: m.deletionGracePeriodSeconds,
    generation: m.generation,
  };
};

describe("planDelete for pods", () => {
  it("marks a running pod with its grace period", () => {
    expect(marked(planDelete(pods, pod(), undefined, T0))).toEqual({
      at: T0 + 30_000,
      grace: 30n,
      generation: 2n,
    });
  });
  it("uses the requested period", () => {
    expect(marked(planDelete(pods, pod(), 10, T0))).toEqual({ at: T0 + 10_000, grace: 10n, generation: 2n });
  });
  it("deletes an unscheduled pod at once", () => {
    expect(planDelete(pods, pod({}, {}), undefined, T0)).toEqual({ action: "delete" });
  });
  it("deletes with grace 0", () => {
    expect(planDelete(pods, pod(), 0, T0)).toEqual({ action: "delete" });
  });
  const deleting = (extra: Record<string, unknown> = {}) =>
    pod({ deletionTimestamp: "2024-01-01T00:00:30Z", deletionGracePeriodSeconds: 30, ...extra });
  it("only shortens an ongoing deletion", () => {
    expect(planDelete(pods, deleting(), undefined, T0 + 5000)).toEqual({ action: "pending" });
    expect(planDelete(pods, deleting(), 30, T0 + 5000)).toEqual({ action: "pending" });
    expect(planDelete(pods, deleting(), 60, T0 + 5000)).toEqual({ action: "pending" });
    expect(marked(planDelete(pods, deleting(), 10, T0 + 5000))).toEqual({
      at: T0 + 10_000,
      grace: 10n,
      generation: 1n,
    });
  });
  it("removes an ongoing deletion confirmed with grace 0", () => {
    expect(planDelete(pods, deleting(), 0, T0 + 5000)).toEqual({ action: "delete" });
  });
  it("keeps a pod with finalizers marked", () => {
    expect(marked(planDelete(pods, deleting({ finalizers: ["example.com/f"] }), 0, T0 + 5000))).toEqual({
      at: T0,
      grace: 0n,
      generation: 1n,
    });
  });
});

describe("planDelete without graceful deletion", () => {
  const sa = (meta: Record<string, unknown> = {}) =>
    objectFrom(corev1.ServiceAccountSchema, { metadata: { name: "sa", namespace: "ns", ...meta } } as never);
  it("deletes at once", () => {
    expect(planDelete(sas, sa(), 30, T0)).toEqual({ action: "delete" });
  });
  it("marks an object with finalizers", () => {
    expect(marked(planDelete(sas, sa({ finalizers: ["example.com/f"] }), undefined, T0))).toEqual({
      at: T0,
      grace: 0n,
      generation: 0n,
    });
  });
  it("keeps an earlier deletion timestamp", () => {
    const p = planDelete(
      sas,
      sa({ finalizers: ["example.com/f"], deletionTimestamp: "2023-12-31T00:00:00Z" }),
      undefined,
      T0,
    );
    expect(marked(p).at).toBe(Date.UTC(2023, 11, 31));
  });
});

describe("shouldDeleteDuringUpdate", () => {
  const sa = (meta: Record<string, unknown>) =>
    objectFrom(corev1.ServiceAccountSchema, { metadata: { name: "sa", namespace: "ns", ...meta } } as never);
  const deleting = sa({
    finalizers: ["example.com/f"],
    deletionTimestamp: "2024-01-01T00:00:00Z",
    deletionGracePeriodSeconds: 0,
  });
  it.each([
    ["finalizers emptied while deleting", sa({}), deleting, true],
    ["finalizers left", sa({ finalizers: ["example.com/f"] }), deleting, false],
    ["not deleting", sa({}), sa({ finalizers: ["example.com/f"] }), false],
    [
      "grace period still running",
      sa({}),
      sa({ deletionTimestamp: "2024-01-01T00:00:00Z", deletionGracePeriodSeconds: 30 }),
      false,
    ],
  ])("%s", (_, next, existing, want) => {
    expect(shouldDeleteDuringUpdate(sas, next, existing)).toBe(want);
  });
});
