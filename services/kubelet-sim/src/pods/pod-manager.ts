/**
 * The simulated kubelet's pod workers: for every pod bound to one of this process's nodes, the
 * steps of `pod-lifecycle.ts` carried out one at a time per pod (statuses through the bounded API
 * line, tokens and files through the volume mounter, which also re-adopts tokens left on disk by
 * an earlier process), woken by informer events or by the pod's one timer in the scheduler loop.
 */
import type { corev1 } from "@tokenplane/proto";
import type { Clock, Logger } from "@tokenplane/runtime";
import type { Behaviour } from "../behaviour/behaviour.js";
import type { KubeletApi } from "../client/kubelet-api.js";
import { errorMessage } from "../errors.js";
import type { KubeletMetrics } from "../metrics/kubelet-metrics.js";
import type { NodeManager, SimNode } from "../nodes/node-manager.js";
import type { Limiter } from "../scheduling/limiter.js";
import type { Timer, TimerQueue } from "../scheduling/timer-queue.js";
import type { TokenManager } from "../tokens/token-manager.js";
import { listPodDirs, projectedVolumeDir, removePodDir } from "../volumes/pod-dirs.js";
import { projectedVolumesOf } from "../volumes/projection.js";
import { SERVICE_ACCOUNT_MOUNT_PATH, type WorkloadRunner } from "../workloads/workload-runner.js";
import { metadataChanged } from "./metadata-changed.js";
import {
  initialProgress,
  nextPodAction,
  type PodProgress,
  retryDelay,
  terminationTime,
} from "./pod-lifecycle.js";
import { containerCreatingPatch, type PodPlacement, runningPatch } from "./pod-status.js";
import { type MountTarget, VolumeMounter } from "./volume-mounter.js";

/** Options of {@link PodManager}. */
export interface PodManagerOptions {
  readonly api: KubeletApi;
  /** The line of non-token API calls (statuses, deletion confirmations, reads). */
  readonly apiLimiter: Limiter;
  readonly tokens: TokenManager;
  readonly timers: TimerQueue;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: KubeletMetrics;
  readonly behaviour: Behaviour;
  /** `--root-dir`. */
  readonly rootDir: string;
  readonly nodes: NodeManager;
  /** The informer caches of ConfigMaps and Secrets (a miss falls back to a live GET). */
  readonly configMap: (namespace: string, name: string) => corev1.ConfigMap | undefined;
  readonly secret: (namespace: string, name: string) => corev1.Secret | undefined;
  /** Runs the simulated workloads; undefined = none. */
  readonly workloads?: WorkloadRunner;
  /** Whether a pod runs a workload. */
  readonly workloadSelected: (pod: corev1.Pod) => boolean;
  readonly random: () => number;
  /** Apply owners (runs as root). */
  readonly chown: boolean;
}

type PodState = "pending" | "running" | "terminating";

interface PodEntry extends MountTarget {
  pod: corev1.Pod;
  readonly node: SimNode;
  readonly progress: PodProgress;
  readonly placement: PodPlacement;
  state: PodState;
  timer: Timer | undefined;
  busy: boolean;
  dirty: boolean;
  /** Deleted in the apiserver: clean up and forget. */
  gone: boolean;
  /** Deletion confirmed by this process. */
  finished: boolean;
  /** When `Running` was reported. */
  startedAt: number | undefined;
}

const nsName = (pod: corev1.Pod) => `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;

/** The pod workers. */
export class PodManager {
  readonly #o: PodManagerOptions;
  readonly #pods = new Map<string, PodEntry>();
  /** Pod uids by namespace, to find the pods a changed ConfigMap or Secret may feed. */
  readonly #byNamespace = new Map<string, Set<string>>();
  readonly #states: Record<PodState, number> = { pending: 0, running: 0, terminating: 0 };
  readonly #mounter: VolumeMounter;

  constructor(options: PodManagerOptions) {
    this.#o = options;
    this.#mounter = new VolumeMounter(options);
  }

  /** Pods handled, by state. */
  counts(): Readonly<Record<PodState, number>> {
    return { ...this.#states };
  }

  /** Tokens cached again from disk (restart re-adoption) since this manager was made. */
  tokensAdopted(): number {
    return this.#mounter.tokensAdopted();
  }

  /** A pod bound to one of this process's nodes was added or changed. */
  observe(pod: corev1.Pod): void {
    const uid = pod.metadata?.uid ?? "";
    const { clock, behaviour, random } = this.#o;
    let entry = this.#pods.get(uid);
    if (entry === undefined) {
      const node = this.#o.nodes.get(pod.spec?.nodeName ?? "");
      const phase = pod.status?.phase;
      if (node === undefined || phase === "Succeeded" || phase === "Failed") return;
      entry = {
        uid,
        key: nsName(pod),
        pod,
        node,
        progress: initialProgress(pod, clock.now(), behaviour, random),
        placement: { hostIP: node.internalIp, podIP: pod.status?.podIP || this.#o.nodes.allocatePodIp(node) },
        state: "pending",
        timer: undefined,
        busy: false,
        dirty: false,
        gone: false,
        finished: false,
        adoptionChecked: false,
        startedAt: undefined,
        metadataWritten: new Map(),
      };
      if (entry.progress.started) entry.state = "running";
      this.#pods.set(uid, entry);
      const ns = pod.metadata?.namespace ?? "";
      let set = this.#byNamespace.get(ns);
      if (set === undefined) {
        set = new Set();
        this.#byNamespace.set(ns, set);
      }
      set.add(uid);
      this.#states[entry.state]++;
      this.#publishStates();
    } else {
      if (entry.progress.mounted && metadataChanged(entry.pod, pod)) entry.progress.volumesStale = true;
      entry.pod = pod;
    }
    if (pod.metadata?.deletionTimestamp !== undefined && entry.progress.terminateAt === undefined) {
      entry.progress.terminateAt = terminationTime(pod, clock.now(), behaviour, random);
      this.#o.workloads?.stop(uid);
      this.#setState(entry, "terminating");
      this.#o.log.debug({ pod: entry.key, terminateAt: entry.progress.terminateAt }, "pod deletion started");
    }
    this.#kick(entry);
  }

  /** A pod was deleted in the apiserver: its files and tokens go, its workload stops. */
  forget(pod: corev1.Pod): void {
    const uid = pod.metadata?.uid ?? "";
    const entry = this.#pods.get(uid);
    if (entry === undefined) return;
    entry.gone = true;
    entry.timer?.cancel();
    this.#o.workloads?.stop(uid);
    if (!entry.busy) void this.#cleanup(entry);
  }

  /** A ConfigMap or Secret changed: volumes of pods in its namespace are written again. */
  sourceChanged(namespace: string, name: string, kind: "configMap" | "secret"): void {
    for (const uid of this.#byNamespace.get(namespace) ?? []) {
      const entry = this.#pods.get(uid);
      if (entry === undefined || !entry.progress.mounted) continue;
      const uses = projectedVolumesOf(entry.pod).some((v) =>
        v.volumeSource?.projected?.sources.some((s) =>
          kind === "configMap"
            ? s.configMap?.localObjectReference?.name === name
            : s.secret?.localObjectReference?.name === name,
        ),
      );
      if (!uses) continue;
      entry.progress.volumesStale = true;
      this.#kick(entry);
    }
  }

  /** Removes pod directories of pods this process does not run (the kubelet's orphan cleanup). */
  async cleanupOrphans(): Promise<number> {
    let removed = 0;
    for (const uid of await listPodDirs(this.#o.rootDir)) {
      if (this.#pods.has(uid)) continue;
      removePodDir(this.#o.rootDir, uid);
      removed++;
    }
    if (removed > 0) this.#o.log.info({ removed }, "removed directories of pods no longer here");
    return removed;
  }

  /** Stops every pod's timer (the process is stopping). */
  stop(): void {
    for (const e of this.#pods.values()) e.timer?.cancel();
  }

  #publishStates(): void {
    for (const [state, n] of Object.entries(this.#states)) this.#o.metrics.pods.set({ state }, n);
  }

  #setState(entry: PodEntry, state: PodState): void {
    if (entry.state === state) return;
    this.#states[entry.state]--;
    this.#states[state]++;
    entry.state = state;
    this.#publishStates();
  }

  #kick(entry: PodEntry): void {
    entry.timer?.cancel();
    entry.timer = undefined;
    void this.#run(entry);
  }

  async #run(entry: PodEntry): Promise<void> {
    if (entry.busy) {
      entry.dirty = true;
      return;
    }
    entry.busy = true;
    try {
      while (!entry.gone && !entry.finished) {
        entry.dirty = false;
        const now = this.#o.clock.now();
        const action = nextPodAction(entry.progress, now);
        if (action.kind === "wait") {
          if (action.until !== undefined)
            entry.timer = this.#o.timers.at(action.until, () => this.#kick(entry));
          break;
        }
        try {
          await this.#execute(entry, action.kind);
          entry.progress.failures = 0;
          entry.progress.retryAt = 0;
        } catch (err) {
          const p = entry.progress;
          p.failures++;
          p.retryAt = this.#o.clock.now() + retryDelay(p.failures);
          this.#o.log.warn(
            {
              pod: entry.key,
              step: action.kind,
              failures: p.failures,
              retryInMs: retryDelay(p.failures),
              err: errorMessage(err),
            },
            "pod step failed; retrying",
          );
        }
      }
    } finally {
      entry.busy = false;
      if (entry.gone) void this.#cleanup(entry);
      else if (entry.dirty) void this.#run(entry);
    }
  }

  async #execute(
    entry: PodEntry,
    kind: "acknowledge" | "mount" | "start" | "ready" | "refresh" | "terminate",
  ): Promise<void> {
    const { api, apiLimiter, clock, behaviour, metrics } = this.#o;
    const ns = entry.pod.metadata?.namespace ?? "";
    const name = entry.pod.metadata?.name ?? "";
    const p = entry.progress;
    switch (kind) {
      case "acknowledge":
        await apiLimiter.run(() =>
          api.patchPodStatus(ns, name, containerCreatingPatch(entry.pod, entry.placement, clock.now())),
        );
        p.acknowledged = true;
        return;
      case "mount":
      case "refresh":
        await this.#mount(entry, kind === "mount" ? "mount" : p.volumesStale ? "resync" : "refresh");
        return;
      case "start": {
        const now = clock.now();
        const readyDelay =
          behaviour.pod.ready.delayMs + Math.floor(this.#o.random() * behaviour.pod.ready.jitterMs);
        const readyNow = readyDelay === 0;
        await apiLimiter.run(() =>
          api.patchPodStatus(ns, name, runningPatch(entry.pod, entry.placement, now, now, readyNow)),
        );
        p.started = true;
        p.ready = readyNow;
        p.readyAt = now + readyDelay;
        entry.startedAt = now;
        metrics.podStartDuration.observe({}, (clock.now() - p.seenAt) / 1000);
        this.#setState(entry, "running");
        this.#ensureWorkload(entry);
        return;
      }
      case "ready": {
        const startedAt = entry.startedAt ?? clock.now();
        await apiLimiter.run(() =>
          api.patchPodStatus(
            ns,
            name,
            runningPatch(entry.pod, entry.placement, clock.now(), startedAt, true),
          ),
        );
        p.ready = true;
        return;
      }
      case "terminate":
        this.#o.workloads?.stop(entry.uid);
        // Volumes are cleaned up before the kubelet lets the deletion finish (status manager canBeDeleted).
        removePodDir(this.#o.rootDir, entry.uid);
        this.#o.tokens.deleteServiceAccountToken(entry.uid);
        await apiLimiter.run(() => api.confirmPodDeletion(ns, name, entry.uid));
        entry.finished = true;
        metrics.podDeletionsConfirmed.inc();
        this.#o.log.debug({ pod: entry.key }, "pod deletion confirmed");
        return;
    }
  }

  /** Writes the pod's projected volumes and records when its tokens are next due. */
  async #mount(entry: PodEntry, reason: "mount" | "refresh" | "resync"): Promise<void> {
    const { refreshAt, refreshError } = await this.#mounter.mount(entry, reason);
    entry.progress.mounted = true;
    entry.progress.volumesStale = false;
    entry.progress.refreshAt = refreshAt;
    if (entry.progress.started) this.#ensureWorkload(entry);
    if (refreshError !== undefined) throw refreshError;
  }

  #ensureWorkload(entry: PodEntry): void {
    const runner = this.#o.workloads;
    if (
      runner === undefined ||
      entry.progress.terminateAt !== undefined ||
      !this.#o.workloadSelected(entry.pod)
    )
      return;
    const mount = entry.pod.spec?.containers[0]?.volumeMounts.find(
      (m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH,
    );
    if (mount === undefined) return;
    runner.start(entry.uid, entry.key, projectedVolumeDir(this.#o.rootDir, entry.uid, mount.name));
  }

  async #cleanup(entry: PodEntry): Promise<void> {
    if (this.#pods.get(entry.uid) !== entry) return;
    this.#pods.delete(entry.uid);
    this.#byNamespace.get(entry.pod.metadata?.namespace ?? "")?.delete(entry.uid);
    this.#states[entry.state]--;
    this.#publishStates();
    this.#o.workloads?.stop(entry.uid);
    this.#o.tokens.deleteServiceAccountToken(entry.uid);
    try {
      removePodDir(this.#o.rootDir, entry.uid);
    } catch (err) {
      this.#o.log.warn({ pod: entry.key, err }, "cannot remove the pod's directory");
    }
  }
}
