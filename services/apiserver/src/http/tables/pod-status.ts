/**
 * The READY, STATUS and RESTARTS cells of a pod, ported from `printPod`
 * (`pkg/printers/internalversion/printers.go`, Kubernetes 1.32): the STATUS is the phase, or the
 * pod's reason, replaced by the first unfinished init container (`Init:0/2`, `Init:CrashLoopBackOff`,
 * `Init:Error`), then by the last container that is waiting or terminated with a reason
 * (`ContainerCreating`, `CrashLoopBackOff`, `Completed`, `Error`, `ExitCode:1`); `Terminating`
 * when a deletion timestamp is set on a pod that has not finished (`Unknown` on a lost node).
 * RESTARTS adds how long ago the last restart was (`3 (5m ago)`).
 *
 * Not modelled, so never shown: restartable init containers (sidecars), scheduling gates' reason
 * comes from conditions as in Kubernetes.
 */
import { msFromTime } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import { translateTimestampSince } from "./human-duration.js";

/** A `meta.k8s.io/v1` TableRowCondition. */
export interface RowCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** The printed status of a pod. */
export interface PodStatusCells {
  /** `ready/total` containers. */
  ready: string;
  status: string;
  /** `n` or `n (AGE ago)`. */
  restarts: string;
  /** `Completed` row conditions for finished pods (kubectl hides them with `--show-all=false`). */
  conditions: RowCondition[] | undefined;
}

const podSuccessConditions: RowCondition[] = [
  { type: "Completed", status: "True", reason: "Succeeded", message: "The pod has completed successfully." },
];
const podFailedConditions: RowCondition[] = [
  { type: "Completed", status: "True", reason: "Failed", message: "The pod failed." },
];

/** `node.NodeUnreachablePodReason`. */
const NODE_LOST = "NodeLost";

/** Computes the cells at `now` (ms since the epoch). */
export function podStatusCells(pod: corev1.Pod, now: number): PodStatusCells {
  const spec = pod.spec;
  const status = pod.status;
  let restarts = 0;
  const totalContainers = spec?.containers.length ?? 0;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  const laterRestart = (t: corev1.ContainerStateTerminated | undefined) => {
    const finished = msFromTime(t?.finishedAt);
    if (t && (lastRestart === undefined || (finished !== undefined && finished > lastRestart))) {
      lastRestart = finished ?? lastRestart;
    }
  };

  const phase = status?.phase ?? "";
  let reason = status?.reason ? status.reason : phase;
  for (const c of status?.conditions ?? []) {
    if (c.type === "PodScheduled" && c.reason === "SchedulingGated") reason = "SchedulingGated";
  }
  const conditions =
    phase === "Succeeded" ? podSuccessConditions : phase === "Failed" ? podFailedConditions : undefined;

  let initializing = false;
  const initStatuses = status?.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] as corev1.ContainerStatus;
    restarts += c.restartCount;
    laterRestart(c.lastState?.terminated);
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (terminated) {
      if (terminated.reason === "") {
        reason =
          terminated.signal !== 0
            ? `Init:Signal:${terminated.signal}`
            : `Init:ExitCode:${terminated.exitCode}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting && waiting.reason !== "" && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers.length ?? 0}`;
    }
    initializing = true;
    break;
  }

  const initialized = (status?.conditions ?? []).some((c) => c.type === "Initialized" && c.status === "True");
  if (!initializing || initialized) {
    restarts = 0;
    lastRestart = undefined;
    let hasRunning = false;
    const statuses = status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] as corev1.ContainerStatus;
      restarts += c.restartCount;
      laterRestart(c.lastState?.terminated);
      const waiting = c.state?.waiting;
      const terminated = c.state?.terminated;
      if (waiting && waiting.reason !== "") {
        reason = waiting.reason;
      } else if (terminated && terminated.reason !== "") {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal !== 0 ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      } else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // Back to Running if at least one container still runs.
    if (reason === "Completed" && hasRunning) {
      const podReady = (status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
      reason = podReady ? "Running" : "NotReady";
    }
  }

  if (pod.metadata?.deletionTimestamp && status?.reason === NODE_LOST) {
    reason = "Unknown";
  } else if (pod.metadata?.deletionTimestamp && phase !== "Succeeded" && phase !== "Failed") {
    reason = "Terminating";
  }

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsText = `${restarts} (${translateTimestampSince(lastRestart, now)} ago)`;
  }
  return {
    ready: `${readyContainers}/${totalContainers}`,
    status: reason,
    restarts: restartsText,
    conditions,
  };
}
