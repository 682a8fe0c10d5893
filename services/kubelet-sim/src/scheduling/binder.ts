/**
 * The simulator's stand-in for kube-scheduler: pods without a node (and with the default
 * scheduler) are bound to one of this process's nodes through `pods/binding`, chosen by
 * `spread.ts`. A node's pod count includes pods just bound and not seen back yet ("assumed", as
 * the scheduler's cache does). A binding the apiserver refuses with 409 (already assigned, being
 * deleted) is dropped; other failures and pods that fit nowhere are retried with back-off.
 */
import { isConflict, isNotFound } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import type { Clock, Logger } from "@tokenplane/runtime";
import type { TaintSpec } from "../behaviour/behaviour.js";
import type { KubeletApi } from "../client/kubelet-api.js";
import type { KubeletMetrics } from "../metrics/kubelet-metrics.js";
import type { SimNode } from "../nodes/node-manager.js";
import { retryDelay } from "../pods/pod-lifecycle.js";
import type { Limiter } from "./limiter.js";
import { chooseNode, type NodeCandidate } from "./spread.js";
import type { Timer, TimerQueue } from "./timer-queue.js";

/** Schedulers whose pods this simulator binds. */
export const DEFAULT_SCHEDULER_NAMES: ReadonlySet<string> = new Set(["", "default-scheduler"]);

/** Options of {@link Binder}. */
export interface BinderOptions {
  readonly api: KubeletApi;
  readonly limiter: Limiter;
  readonly timers: TimerQueue;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: KubeletMetrics;
  /** The nodes to bind to (in index order). */
  readonly nodes: () => readonly SimNode[];
  readonly taints: readonly TaintSpec[];
}

interface Waiting {
  pod: corev1.Pod;
  failures: number;
  timer: Timer | undefined;
}

const keyOf = (pod: corev1.Pod) => `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;

/** Binds unscheduled pods to this process's nodes. */
export class Binder {
  readonly #o: BinderOptions;
  /** Pod uids per node: seen bound there, or assumed. */
  readonly #podsOn = new Map<string, Set<string>>();
  /** Node of each counted pod uid. */
  readonly #nodeOf = new Map<string, string>();
  /** Pods being bound or waiting for a retry, by namespace/name. */
  readonly #waiting = new Map<string, Waiting>();
  #cursor = 0;

  constructor(options: BinderOptions) {
    this.#o = options;
  }

  /** Pods counted on a node. */
  podsOn(node: string): number {
    return this.#podsOn.get(node)?.size ?? 0;
  }

  /** A pod without a node was seen (added or updated). */
  unscheduled(pod: corev1.Pod): void {
    if (pod.metadata?.deletionTimestamp !== undefined) return;
    if (!DEFAULT_SCHEDULER_NAMES.has(pod.spec?.schedulerName ?? "")) return;
    const key = keyOf(pod);
    const existing = this.#waiting.get(key);
    if (existing !== undefined) {
      existing.pod = pod;
      return;
    }
    const w: Waiting = { pod, failures: 0, timer: undefined };
    this.#waiting.set(key, w);
    void this.#bind(key, w);
  }

  /** A pod bound to `node` was seen: count it there. */
  assigned(pod: corev1.Pod, node: string): void {
    const uid = pod.metadata?.uid ?? "";
    this.#waiting.get(keyOf(pod))?.timer?.cancel();
    this.#waiting.delete(keyOf(pod));
    this.#count(uid, node);
  }

  /** A pod went: stop counting it, cancel its binding, and retry pods that fit nowhere. */
  forget(pod: corev1.Pod): void {
    const uid = pod.metadata?.uid ?? "";
    const w = this.#waiting.get(keyOf(pod));
    if (w !== undefined && (w.pod.metadata?.uid ?? "") === uid) {
      w.timer?.cancel();
      this.#waiting.delete(keyOf(pod));
    }
    const node = this.#nodeOf.get(uid);
    if (node !== undefined) {
      this.#podsOn.get(node)?.delete(uid);
      this.#nodeOf.delete(uid);
    }
  }

  /** Stops retries. */
  stop(): void {
    for (const w of this.#waiting.values()) w.timer?.cancel();
    this.#waiting.clear();
  }

  #count(uid: string, node: string): void {
    const previous = this.#nodeOf.get(uid);
    if (previous === node) return;
    if (previous !== undefined) this.#podsOn.get(previous)?.delete(uid);
    let set = this.#podsOn.get(node);
    if (set === undefined) {
      set = new Set();
      this.#podsOn.set(node, set);
    }
    set.add(uid);
    this.#nodeOf.set(uid, node);
  }

  async #bind(key: string, w: Waiting): Promise<void> {
    const { api, limiter, log, metrics } = this.#o;
    const nodes = this.#o.nodes();
    const candidates: NodeCandidate[] = nodes.map((n) => ({
      name: n.name,
      labels: n.labels,
      taints: this.#o.taints,
      pods: this.podsOn(n.name),
      maxPods: n.maxPods,
    }));
    const choice = chooseNode(candidates, w.pod, this.#cursor);
    this.#cursor = choice.cursor;
    if (choice.index === undefined) {
      if (w.failures === 0) log.info({ pod: key }, "no simulated node fits the pod; retrying");
      this.#retry(key, w, 10_000);
      return;
    }
    const node = nodes[choice.index]!;
    const uid = w.pod.metadata?.uid ?? "";
    this.#count(uid, node.name); // assumed until seen back
    try {
      await limiter.run(() =>
        api.bindPod(w.pod.metadata?.namespace ?? "", w.pod.metadata?.name ?? "", node.name),
      );
      metrics.podsBound.inc();
      this.#waiting.delete(key);
    } catch (err) {
      if (this.#nodeOf.get(uid) === node.name) {
        this.#podsOn.get(node.name)?.delete(uid);
        this.#nodeOf.delete(uid);
      }
      if (isConflict(err) || isNotFound(err)) {
        // Already assigned (by another scheduler), being deleted, or gone: nothing to do.
        log.debug({ pod: key, err }, "binding refused; dropped");
        this.#waiting.delete(key);
        return;
      }
      w.failures++;
      log.warn({ pod: key, node: node.name, err }, "binding failed; retrying");
      this.#retry(key, w, retryDelay(w.failures));
    }
  }

  #retry(key: string, w: Waiting, delayMs: number): void {
    if (this.#waiting.get(key) !== w) return;
    w.timer = this.#o.timers.after(delayMs, () => {
      if (this.#waiting.get(key) === w) void this.#bind(key, w);
    });
  }
}
