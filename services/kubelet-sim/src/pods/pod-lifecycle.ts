/**
 * What the simulated kubelet does next for one pod, as a pure decision over the pod's progress
 * and the time (kwok-style stages, with the timings of the behaviour file):
 *
 * ```
 * seen ─▶ acknowledge (Pending, ContainerCreating) ─▶ mount (tokens + files) ─▶ start at seen+delay
 *      (Running) ─▶ ready at started+delay ─▶ refresh tokens when due … ─▶ terminate at the end of
 *      the grace period (files removed, tokens dropped, deletion confirmed)
 * ```
 *
 * Failures back off exponentially like the kubelet's volume operations (500 ms doubling to
 * 2 m 2 s, pkg/util/goroutinemap/exponentialbackoff).
 */
import { msFromTime } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import { type Behaviour, drawDelay } from "../behaviour/behaviour.js";
import { observedProgress } from "./pod-status.js";

/** First retry delay after a failure (`initialDurationBeforeRetry`, 500 ms). */
export const INITIAL_RETRY_MS = 500;
/** Largest retry delay (`maxDurationBeforeRetry`, 2 m 2 s). */
export const MAX_RETRY_MS = 122_000;

/** Where a pod stands. Times are milliseconds since the epoch. */
export interface PodProgress {
  /** The Pending/ContainerCreating status is written (or was not wanted, or was found written). */
  acknowledged: boolean;
  /** Every projected volume has been written at least once by this process. */
  mounted: boolean;
  /** The volumes must be written again (their pod's labels/annotations or a referenced object changed). */
  volumesStale: boolean;
  /** `Running` is reported. */
  started: boolean;
  /** `Ready` is reported. */
  ready: boolean;
  /** When this process first saw the pod on its node. */
  readonly seenAt: number;
  /** When the containers may be reported running (seenAt + start delay). */
  readonly startAt: number;
  /** When the containers may be reported ready (set when started). */
  readyAt: number | undefined;
  /** The earliest token refresh due time (refresh once the time is strictly after it). */
  refreshAt: number | undefined;
  /** When the containers have stopped after deletion started (set when a deletion is seen). */
  terminateAt: number | undefined;
  /** Consecutive failures, and no new attempt before `retryAt`. */
  failures: number;
  retryAt: number;
}

/** The next step. */
export type PodAction =
  | { readonly kind: "acknowledge" | "mount" | "start" | "ready" | "refresh" | "terminate" }
  /** Nothing to do before `until` (undefined: until something changes). */
  | { readonly kind: "wait"; readonly until: number | undefined };

/** The progress of a pod first seen now, from what its status says (a restart re-adopts running pods). */
export function initialProgress(
  pod: corev1.Pod,
  now: number,
  behaviour: Behaviour,
  random: () => number,
): PodProgress {
  const observed = observedProgress(pod);
  return {
    acknowledged: observed.acknowledged || !behaviour.pod.reportContainerCreating,
    mounted: false,
    volumesStale: false,
    started: observed.running,
    ready: observed.ready,
    seenAt: now,
    startAt: now + drawDelay(behaviour.pod.start, random),
    readyAt: undefined,
    refreshAt: undefined,
    terminateAt: undefined,
    failures: 0,
    retryAt: 0,
  };
}

/**
 * When the containers of a pod being deleted have stopped: the end of the grace period with
 * `stop: grace`, else `now + stop delay`, but never later than the end of the grace period.
 *
 * The end of the grace period is `deletionGracePeriodSeconds` after the kubelet sees the deletion,
 * as the kubelet counts it (it kills the containers with that grace period when it observes the
 * deletion). The `deletionTimestamp` alone is not enough: it is RFC 3339 with whole seconds, so it
 * can lie up to 1 s before the true end. The end is capped at `deletionTimestamp + 1 s` so that a
 * deletion first seen late (after a restart) is not granted a second full grace period.
 */
export function terminationTime(
  pod: corev1.Pod,
  now: number,
  behaviour: Behaviour,
  random: () => number,
): number {
  const deletionAt = msFromTime(pod.metadata?.deletionTimestamp);
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  let end = deletionAt ?? now;
  if (deletionAt !== undefined && grace !== undefined) {
    end = Math.max(deletionAt, Math.min(now + Number(grace) * 1000, deletionAt + 1000));
  }
  const stop = behaviour.pod.stop;
  return stop === "grace" ? end : Math.min(end, now + drawDelay(stop, random));
}

/** The delay before retry `failures` (1 = first): 500 ms · 2^(failures−1), at most 2 m 2 s. */
export function retryDelay(failures: number): number {
  return Math.min(MAX_RETRY_MS, INITIAL_RETRY_MS * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}

const wait = (until: number | undefined): PodAction => ({ kind: "wait", until });
const earliest = (...times: Array<number | undefined>): number | undefined => {
  const defined = times.filter((t): t is number => t !== undefined);
  return defined.length === 0 ? undefined : Math.min(...defined);
};

/** The next action for a pod at `now`. */
export function nextPodAction(p: PodProgress, now: number): PodAction {
  if (p.terminateAt !== undefined) {
    const at = Math.max(p.terminateAt, p.retryAt);
    return now >= at ? { kind: "terminate" } : wait(at);
  }
  if (now < p.retryAt) return wait(p.retryAt);
  if (!p.acknowledged) return { kind: "acknowledge" };
  if (!p.mounted) return { kind: "mount" };
  // requiresRefresh is "strictly after the due time".
  const refreshWake = p.refreshAt === undefined ? undefined : p.refreshAt + 1;
  if ((p.refreshAt !== undefined && now > p.refreshAt) || p.volumesStale) return { kind: "refresh" };
  if (!p.started) return now >= p.startAt ? { kind: "start" } : wait(earliest(p.startAt, refreshWake));
  if (!p.ready) {
    if (p.readyAt !== undefined && now >= p.readyAt) return { kind: "ready" };
    return wait(earliest(p.readyAt, refreshWake));
  }
  return wait(refreshWake);
}
