import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timeFromMs } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { type Behaviour, DEFAULT_BEHAVIOUR } from "../behaviour/behaviour.js";
import {
  initialProgress,
  nextPodAction,
  type PodProgress,
  retryDelay,
  terminationTime,
} from "./pod-lifecycle.js";

const T = 1_000_000;
const base: PodProgress = {
  acknowledged: true,
  mounted: true,
  volumesStale: false,
  started: true,
  ready: true,
  seenAt: T,
  startAt: T + 1000,
  readyAt: T + 1000,
  refreshAt: undefined,
  terminateAt: undefined,
  failures: 0,
  retryAt: 0,
};

describe("nextPodAction", () => {
  // [what, progress changes, now, expected]
  const table: Array<[string, Partial<PodProgress>, number, ReturnType<typeof nextPodAction>]> = [
    [
      "a new pod is acknowledged first",
      { acknowledged: false, mounted: false, started: false, ready: false },
      T,
      { kind: "acknowledge" },
    ],
    ["then its volumes are mounted", { mounted: false, started: false, ready: false }, T, { kind: "mount" }],
    [
      "then it waits for its start time",
      { started: false, ready: false },
      T + 10,
      { kind: "wait", until: T + 1000 },
    ],
    ["and starts at it", { started: false, ready: false }, T + 1000, { kind: "start" }],
    ["even when the volumes took longer", { started: false, ready: false }, T + 5000, { kind: "start" }],
    [
      "readiness waits for its delay",
      { ready: false, readyAt: T + 3000 },
      T + 2000,
      { kind: "wait", until: T + 3000 },
    ],
    ["and comes at it", { ready: false, readyAt: T + 3000 }, T + 3000, { kind: "ready" }],
    [
      "a running pod waits for its refresh, strictly after the due time",
      { refreshAt: T + 5000 },
      T + 5000,
      { kind: "wait", until: T + 5001 },
    ],
    ["and refreshes after it", { refreshAt: T + 5000 }, T + 5001, { kind: "refresh" }],
    [
      "a refresh due before the start comes first",
      { started: false, ready: false, startAt: T + 9000, refreshAt: T + 100 },
      T + 200,
      { kind: "refresh" },
    ],
    ["a running pod without due refresh waits for nothing", {}, T + 9999, { kind: "wait", until: undefined }],
    ["stale volumes are written again", { volumesStale: true, refreshAt: T + 5000 }, T, { kind: "refresh" }],
    [
      "a failure backs off",
      { mounted: false, retryAt: T + 500, failures: 1 },
      T + 100,
      { kind: "wait", until: T + 500 },
    ],
    [
      "and retries after the back-off",
      { mounted: false, retryAt: T + 500, failures: 1 },
      T + 500,
      { kind: "mount" },
    ],
    [
      "deletion waits for the end of the stop delay",
      { terminateAt: T + 30_000, refreshAt: T },
      T + 10,
      { kind: "wait", until: T + 30_000 },
    ],
    ["and then terminates", { terminateAt: T + 30_000 }, T + 30_000, { kind: "terminate" }],
    [
      "a failed termination backs off",
      { terminateAt: T, retryAt: T + 1000 },
      T + 10,
      { kind: "wait", until: T + 1000 },
    ],
    [
      "a pod deleted before it started still terminates",
      { acknowledged: false, mounted: false, terminateAt: T },
      T,
      { kind: "terminate" },
    ],
  ];
  it.each(table)("%s", (_what, changes, now, expected) => {
    expect(nextPodAction({ ...base, ...changes }, now)).toEqual(expected);
  });
});

describe("retryDelay", () => {
  it.each([
    [1, 500],
    [2, 1000],
    [5, 8000],
    [8, 64_000],
    [9, 122_000],
    [40, 122_000],
  ])("failure %s → %s ms", (n, ms) => {
    expect(retryDelay(n)).toBe(ms);
  });
});

function pod(
  status: MessageInitShape<typeof corev1.PodStatusSchema> = {},
  deletion?: { at: number; grace: number },
) {
  return create(corev1.PodSchema, {
    metadata: {
      name: "p",
      uid: "u",
      ...(deletion === undefined
        ? {}
        : { deletionTimestamp: timeFromMs(deletion.at), deletionGracePeriodSeconds: BigInt(deletion.grace) }),
    },
    status,
  });
}

describe("initialProgress", () => {
  it("starts a new pod from scratch with the drawn start delay", () => {
    const p = initialProgress(pod({ phase: "Pending" }), T, DEFAULT_BEHAVIOUR, () => 0.5);
    expect(p).toMatchObject({
      acknowledged: false,
      mounted: false,
      started: false,
      ready: false,
      startAt: T + 1250,
    });
  });

  it("re-adopts a running pod without reporting it again", () => {
    const running = pod({
      phase: "Running",
      startTime: timeFromMs(T - 60_000),
      conditions: [create(corev1.PodConditionSchema, { type: "Ready", status: "True" })],
    });
    expect(initialProgress(running, T, DEFAULT_BEHAVIOUR, () => 0)).toMatchObject({
      acknowledged: true,
      mounted: false,
      started: true,
      ready: true,
    });
  });

  it("skips the ContainerCreating report when the behaviour says so", () => {
    const b: Behaviour = {
      ...DEFAULT_BEHAVIOUR,
      pod: { ...DEFAULT_BEHAVIOUR.pod, reportContainerCreating: false },
    };
    expect(initialProgress(pod(), T, b, () => 0).acknowledged).toBe(true);
  });
});

describe("terminationTime", () => {
  const deleting = pod({ phase: "Running" }, { at: T + 30_000, grace: 30 });
  it("is the deletionTimestamp with stop: grace", () => {
    expect(terminationTime(deleting, T, DEFAULT_BEHAVIOUR, () => 0)).toBe(T + 30_000);
  });
  it.each([
    [{ delayMs: 2000, jitterMs: 1000 }, 0.5, T + 2500],
    [{ delayMs: 60_000, jitterMs: 0 }, 0, T + 30_000],
  ])("is now + the stop delay %j, capped at the deletionTimestamp", (stop, r, expected) => {
    const b: Behaviour = { ...DEFAULT_BEHAVIOUR, pod: { ...DEFAULT_BEHAVIOUR.pod, stop } };
    expect(terminationTime(deleting, T, b, () => r)).toBe(expected);
  });
  it("counts the grace period from when the deletion is seen, as the deletionTimestamp is in whole seconds", () => {
    // Deleted at T + 700 ms with a 2 s grace: the stored timestamp is truncated to T + 2000.
    const truncated = pod({ phase: "Running" }, { at: T + 2000, grace: 2 });
    expect(terminationTime(truncated, T + 700, DEFAULT_BEHAVIOUR, () => 0)).toBe(T + 2700);
  });
  it("is never more than a second past the deletionTimestamp", () => {
    expect(terminationTime(deleting, T + 20_000, DEFAULT_BEHAVIOUR, () => 0)).toBe(T + 31_000);
  });
  it("is in the past for a deletionTimestamp in the past (seen after a restart)", () => {
    expect(terminationTime(pod({}, { at: T - 5000, grace: 30 }), T, DEFAULT_BEHAVIOUR, () => 0)).toBe(
      T - 4000,
    );
  });
});
