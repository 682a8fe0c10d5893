import { create } from "@bufbuild/protobuf";
import { timeFromMs } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { containerCreatingPatch, containerId, observedProgress, runningPatch } from "./pod-status.js";

const T0 = Date.UTC(2024, 0, 1);
const SCHEDULED = T0 - 5000;
const placement = { hostIP: "172.16.0.1", podIP: "10.0.0.2" };

function pod(inits: string[] = []) {
  return create(corev1.PodSchema, {
    metadata: { name: "p", namespace: "ns", uid: "u1" },
    spec: {
      nodeName: "n1",
      containers: [
        { name: "a", image: "busybox" },
        { name: "b", image: "nginx:1.27" },
      ],
      initContainers: inits.map((name) => ({ name, image: "busybox" })),
    },
    status: {
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "True", lastTransitionTime: timeFromMs(SCHEDULED) }],
    },
  });
}

const at = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

describe("containerCreatingPatch", () => {
  it("reports Pending with ContainerCreating, startTime and not-ready conditions", () => {
    expect(JSON.parse(containerCreatingPatch(pod(), placement, T0))).toEqual({
      metadata: { uid: "u1" },
      status: {
        phase: "Pending",
        hostIP: "172.16.0.1",
        startTime: at(T0),
        conditions: [
          {
            type: "PodReadyToStartContainers",
            status: "False",
            lastProbeTime: null,
            lastTransitionTime: at(T0),
          },
          { type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: at(T0) },
          {
            type: "Ready",
            status: "False",
            lastProbeTime: null,
            lastTransitionTime: at(T0),
            reason: "ContainersNotReady",
            message: "containers with unready status: [a b]",
          },
          {
            type: "ContainersReady",
            status: "False",
            lastProbeTime: null,
            lastTransitionTime: at(T0),
            reason: "ContainersNotReady",
            message: "containers with unready status: [a b]",
          },
          // kept from the binding
          { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: at(SCHEDULED) },
        ],
        containerStatuses: ["a", "b"].map((name, i) => ({
          name,
          image: ["busybox", "nginx:1.27"][i],
          imageID: "",
          ready: false,
          restartCount: 0,
          started: false,
          state: { waiting: { reason: "ContainerCreating" } },
          lastState: {},
        })),
      },
    });
  });

  it("waits on init containers first", () => {
    const status = JSON.parse(containerCreatingPatch(pod(["setup"]), placement, T0)).status;
    expect(status.conditions[1]).toMatchObject({
      type: "Initialized",
      status: "False",
      reason: "ContainersNotInitialized",
      message: "containers with incomplete status: [setup]",
    });
    expect(status.containerStatuses[0].state).toEqual({ waiting: { reason: "PodInitializing" } });
    expect(status.initContainerStatuses[0].state).toEqual({ waiting: { reason: "PodInitializing" } });
  });
});

describe("runningPatch", () => {
  it("reports Running and Ready with container states and the pod IP", () => {
    const p = pod();
    p.status!.startTime = timeFromMs(T0);
    const status = JSON.parse(runningPatch(p, placement, T0 + 2000, T0 + 1500, true)).status;
    expect(status.phase).toBe("Running");
    expect(status.startTime).toBe(at(T0));
    expect(status.podIP).toBe("10.0.0.2");
    expect(status.podIPs).toEqual([{ ip: "10.0.0.2" }]);
    expect(status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual([
      "PodReadyToStartContainers=True",
      "Initialized=True",
      "Ready=True",
      "ContainersReady=True",
      "PodScheduled=True",
    ]);
    expect(status.containerStatuses[1]).toEqual({
      name: "b",
      image: "nginx:1.27",
      imageID: "nginx:1.27",
      containerID: containerId("u1", "b"),
      ready: true,
      restartCount: 0,
      started: true,
      state: { running: { startedAt: at(T0 + 1000) } },
      lastState: {},
    });
  });

  it("keeps Ready false until the ready delay passed", () => {
    const status = JSON.parse(runningPatch(pod(), placement, T0, T0, false)).status;
    expect(status.conditions[2]).toMatchObject({
      type: "Ready",
      status: "False",
      reason: "ContainersNotReady",
    });
    expect(status.containerStatuses[0].ready).toBe(false);
  });

  it("completes init containers", () => {
    const status = JSON.parse(runningPatch(pod(["setup"]), placement, T0, T0, true)).status;
    expect(status.initContainerStatuses[0].state.terminated).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
  });
});

describe("observedProgress", () => {
  it.each([["a new pod", pod(), { acknowledged: false, running: false, ready: false }]])(
    "reads %s",
    (_what, p, expected) => {
      expect(observedProgress(p)).toEqual(expected);
    },
  );
  it("reads a running, ready pod", () => {
    const p = pod();
    p.status!.phase = "Running";
    p.status!.conditions.push(create(corev1.PodConditionSchema, { type: "Ready", status: "True" }));
    expect(observedProgress(p)).toEqual({ acknowledged: true, running: true, ready: true });
  });
  it("reads an acknowledged pod from its startTime", () => {
    const p = pod();
    p.status!.startTime = timeFromMs(T0);
    expect(observedProgress(p)).toEqual({ acknowledged: true, running: false, ready: false });
  });
});
