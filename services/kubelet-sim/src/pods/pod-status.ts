/**
 * The pod statuses the simulated kubelet reports, as JSON merge patches of `pods/status` (the
 * kubelet patches its status too): `Pending` with containers `ContainerCreating` when it first
 * sees the pod, then `Running` with `startTime`, IPs, container states and the five conditions of
 * a current kubelet (PodReadyToStartContainers, Initialized, Ready, ContainersReady,
 * PodScheduled). Pure: the pod, the time and the IPs are given. A condition keeps its
 * `lastTransitionTime` when its status does not change. The patch carries `metadata.uid` so that
 * it fails for a pod recreated under the same name.
 */
import { createHash } from "node:crypto";
import { formatRfc3339, msFromTime } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";

/** A JSON value of a patch. */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Where the pod runs, for the status. */
export interface PodPlacement {
  /** The node's InternalIP. */
  readonly hostIP: string;
  /** The pod's IP (reported from Running on). */
  readonly podIP: string;
}

function condition(
  pod: corev1.Pod,
  type: string,
  status: "True" | "False",
  now: number,
  reason?: string,
  message?: string,
): Json {
  const existing = pod.status?.conditions.find((c) => c.type === type);
  const since =
    existing !== undefined && existing.status === status
      ? (msFromTime(existing.lastTransitionTime) ?? now)
      : now;
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: formatRfc3339(since),
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined ? {} : { message }),
  };
}

/** A stable fake container id: `tokenplane://<sha256 of pod uid and container name>`. */
export function containerId(podUid: string, name: string): string {
  return `tokenplane://${createHash("sha256").update(`${podUid}/${name}`).digest("hex")}`;
}

function names(containers: readonly corev1.Container[]): string {
  return `[${containers.map((c) => c.name).join(" ")}]`;
}

function startTimeOf(pod: corev1.Pod, now: number): string {
  return formatRfc3339(msFromTime(pod.status?.startTime) ?? now);
}

/**
 * First status: `Pending`, `startTime` (the kubelet acknowledged the pod), init containers
 * `PodInitializing` or containers `ContainerCreating`, not ready.
 */
export function containerCreatingPatch(pod: corev1.Pod, placement: PodPlacement, now: number): string {
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const waiting = (c: corev1.Container, reason: string): Json => ({
    name: c.name,
    image: c.image,
    imageID: "",
    ready: false,
    restartCount: 0,
    started: false,
    state: { waiting: { reason } },
    lastState: {},
  });
  const notReady = `containers with unready status: ${names(containers)}`;
  const status: { [k: string]: Json } = {
    phase: "Pending",
    hostIP: placement.hostIP,
    startTime: startTimeOf(pod, now),
    conditions: [
      condition(pod, "PodReadyToStartContainers", "False", now),
      inits.length === 0
        ? condition(pod, "Initialized", "True", now)
        : condition(
            pod,
            "Initialized",
            "False",
            now,
            "ContainersNotInitialized",
            `containers with incomplete status: ${names(inits)}`,
          ),
      condition(pod, "Ready", "False", now, "ContainersNotReady", notReady),
      condition(pod, "ContainersReady", "False", now, "ContainersNotReady", notReady),
      condition(pod, "PodScheduled", "True", now),
    ],
    containerStatuses: containers.map((c) =>
      waiting(c, inits.length === 0 ? "ContainerCreating" : "PodInitializing"),
    ),
    ...(inits.length === 0 ? {} : { initContainerStatuses: inits.map((c) => waiting(c, "PodInitializing")) }),
  };
  return JSON.stringify({ metadata: { uid: pod.metadata?.uid ?? "" }, status });
}

/**
 * `Running`: every container running since `startedAt`, init containers completed, the pod IP,
 * and Ready/ContainersReady as `ready` says.
 */
export function runningPatch(
  pod: corev1.Pod,
  placement: PodPlacement,
  now: number,
  startedAt: number,
  ready: boolean,
): string {
  const uid = pod.metadata?.uid ?? "";
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const notReady = `containers with unready status: ${names(containers)}`;
  const readyCondition = (type: string) =>
    ready
      ? condition(pod, type, "True", now)
      : condition(pod, type, "False", now, "ContainersNotReady", notReady);
  const status: { [k: string]: Json } = {
    phase: "Running",
    hostIP: placement.hostIP,
    podIP: placement.podIP,
    podIPs: [{ ip: placement.podIP }],
    startTime: startTimeOf(pod, now),
    conditions: [
      condition(pod, "PodReadyToStartContainers", "True", now),
      condition(pod, "Initialized", "True", now),
      readyCondition("Ready"),
      readyCondition("ContainersReady"),
      condition(pod, "PodScheduled", "True", now),
    ],
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: c.image,
      containerID: containerId(uid, c.name),
      ready,
      restartCount: 0,
      started: true,
      state: { running: { startedAt: formatRfc3339(startedAt) } },
      lastState: {},
    })),
    ...(inits.length === 0
      ? {}
      : {
          initContainerStatuses: inits.map((c) => ({
            name: c.name,
            image: c.image,
            imageID: c.image,
            containerID: containerId(uid, c.name),
            ready: true,
            restartCount: 0,
            started: false,
            state: {
              terminated: {
                exitCode: 0,
                reason: "Completed",
                startedAt: formatRfc3339(startedAt),
                finishedAt: formatRfc3339(startedAt),
                containerID: containerId(uid, c.name),
              },
            },
            lastState: {},
          })),
        }),
  };
  return JSON.stringify({ metadata: { uid }, status });
}

/** What the simulator reads back from a pod's status when it (re)adopts it. */
export function observedProgress(pod: corev1.Pod): {
  acknowledged: boolean;
  running: boolean;
  ready: boolean;
} {
  const status = pod.status;
  const running = status?.phase === "Running";
  return {
    acknowledged: running || status?.startTime !== undefined,
    running,
    ready: status?.conditions.some((c) => c.type === "Ready" && c.status === "True") === true,
  };
}
