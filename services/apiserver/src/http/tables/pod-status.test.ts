import { fromK8sJson, type JsonObject, resourceFor } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { podStatusCells } from "./pod-status.js";
import { toTable } from "./table.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const iso = (secondsLater: number) => new Date(T0 + secondsLater * 1000).toISOString().replace(".000Z", "Z");

function pod(json: JsonObject): corev1.Pod {
  const r = fromK8sJson(corev1.PodSchema, { metadata: { name: "p", creationTimestamp: iso(0) }, ...json });
  if ("error" in r) throw new TypeError(r.error);
  return r.value;
}

const two = { containers: [{ name: "a" }, { name: "b" }] };
const running = (name: string, ready = true) => ({
  name,
  ready,
  restartCount: 0,
  image: "i",
  state: { running: {} },
});

describe("podStatusCells (printPod)", () => {
  const cases: { name: string; pod: JsonObject; ready: string; status: string; restarts: string }[] = [
    {
      name: "pending, no statuses yet",
      pod: { spec: two, status: { phase: "Pending" } },
      ready: "0/2",
      status: "Pending",
      restarts: "0",
    },
    {
      name: "containers being created",
      pod: {
        spec: two,
        status: {
          phase: "Pending",
          containerStatuses: [
            {
              name: "a",
              ready: false,
              restartCount: 0,
              image: "i",
              state: { waiting: { reason: "ContainerCreating" } },
            },
            {
              name: "b",
              ready: false,
              restartCount: 0,
              image: "i",
              state: { waiting: { reason: "ContainerCreating" } },
            },
          ],
        },
      },
      ready: "0/2",
      status: "ContainerCreating",
      restarts: "0",
    },
    {
      name: "running and ready",
      pod: { spec: two, status: { phase: "Running", containerStatuses: [running("a"), running("b")] } },
      ready: "2/2",
      status: "Running",
      restarts: "0",
    },
    {
      name: "one container crash-looping, with restarts and when the last one was",
      pod: {
        spec: two,
        status: {
          phase: "Running",
          containerStatuses: [
            running("a"),
            {
              name: "b",
              ready: false,
              restartCount: 3,
              image: "i",
              state: { waiting: { reason: "CrashLoopBackOff" } },
              lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: iso(600) } },
            },
          ],
        },
      },
      ready: "1/2",
      status: "CrashLoopBackOff",
      restarts: "3 (5m ago)",
    },
    {
      name: "terminated without a reason: ExitCode",
      pod: {
        spec: { containers: [{ name: "a" }] },
        status: {
          phase: "Running",
          containerStatuses: [
            { name: "a", ready: false, restartCount: 0, image: "i", state: { terminated: { exitCode: 2 } } },
          ],
        },
      },
      ready: "0/1",
      status: "ExitCode:2",
      restarts: "0",
    },
    {
      name: "first init container running: Init:0/2",
      pod: {
        spec: { initContainers: [{ name: "i1" }, { name: "i2" }], containers: [{ name: "a" }] },
        status: {
          phase: "Pending",
          initContainerStatuses: [
            { name: "i1", ready: false, restartCount: 0, image: "i", state: { running: {} } },
          ],
        },
      },
      ready: "0/1",
      status: "Init:0/2",
      restarts: "0",
    },
    {
      name: "init container failed: Init:Error",
      pod: {
        spec: { initContainers: [{ name: "i1" }], containers: [{ name: "a" }] },
        status: {
          phase: "Pending",
          initContainerStatuses: [
            {
              name: "i1",
              ready: false,
              restartCount: 2,
              image: "i",
              state: { terminated: { exitCode: 1, reason: "Error" } },
            },
          ],
        },
      },
      ready: "0/1",
      status: "Init:Error",
      restarts: "2",
    },
    {
      name: "completed: the container's reason",
      pod: {
        spec: { containers: [{ name: "a" }] },
        status: {
          phase: "Succeeded",
          containerStatuses: [
            {
              name: "a",
              ready: false,
              restartCount: 0,
              image: "i",
              state: { terminated: { exitCode: 0, reason: "Completed" } },
            },
          ],
        },
      },
      ready: "0/1",
      status: "Completed",
      restarts: "0",
    },
    {
      name: "one done, one still running: NotReady without the Ready condition",
      pod: {
        spec: two,
        status: {
          phase: "Running",
          containerStatuses: [
            running("a"),
            {
              name: "b",
              ready: false,
              restartCount: 0,
              image: "i",
              state: { terminated: { exitCode: 0, reason: "Completed" } },
            },
          ],
        },
      },
      ready: "1/2",
      status: "NotReady",
      restarts: "0",
    },
    {
      name: "deletion requested on a running pod: Terminating",
      pod: {
        metadata: { name: "p", creationTimestamp: iso(0), deletionTimestamp: iso(100) },
        spec: two,
        status: { phase: "Running", containerStatuses: [running("a"), running("b")] },
      },
      ready: "2/2",
      status: "Terminating",
      restarts: "0",
    },
    {
      name: "deleted on a lost node: Unknown",
      pod: {
        metadata: { name: "p", creationTimestamp: iso(0), deletionTimestamp: iso(100) },
        spec: two,
        status: { phase: "Running", reason: "NodeLost" },
      },
      ready: "0/2",
      status: "Unknown",
      restarts: "0",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cells = podStatusCells(pod(c.pod), T0 + 900_000);
      expect([cells.ready, cells.status, cells.restarts]).toEqual([c.ready, c.status, c.restarts]);
    });
  }

  it("finished pods carry Completed row conditions", () => {
    expect(podStatusCells(pod({ status: { phase: "Failed" } }), T0).conditions).toEqual([
      { type: "Completed", status: "True", reason: "Failed", message: "The pod failed." },
    ]);
  });

  it("a full pod row, wide cells included", () => {
    const p = pod({
      spec: { containers: [{ name: "a" }], nodeName: "node-1" },
      status: { phase: "Running", podIPs: [{ ip: "10.1.0.7" }], containerStatuses: [running("a")] },
    });
    const t = toTable(resourceFor("", "pods")!, [p], { now: T0 + 125_000 });
    expect((t.columnDefinitions as JsonObject[]).map((c) => [c.name, c.priority])).toEqual([
      ["Name", 0],
      ["Ready", 0],
      ["Status", 0],
      ["Restarts", 0],
      ["Age", 0],
      ["IP", 1],
      ["Node", 1],
      ["Nominated Node", 1],
      ["Readiness Gates", 1],
    ]);
    expect((t.rows as JsonObject[])[0]?.cells).toEqual([
      "p",
      "1/1",
      "Running",
      "0",
      "2m5s",
      "10.1.0.7",
      "node-1",
      "<none>",
      "<none>",
    ]);
  });
});
