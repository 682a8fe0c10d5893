/**
 * The simulated nodes: registered at start (created, or adopted when a Node of that name exists
 * from an earlier run), kept alive by heartbeats spread evenly over the behaviour's interval
 * (node i posts at offset i/N of it, through the bounded API line), and deleted at shutdown only
 * when asked (`--delete-nodes-on-shutdown`).
 */
import { isAlreadyExists, msFromTime } from "@tokenplane/apimachinery";
import type { Clock, Logger } from "@tokenplane/runtime";
import type { Behaviour } from "../behaviour/behaviour.js";
import { maxPodsOf } from "../behaviour/behaviour.js";
import type { KubeletApi } from "../client/kubelet-api.js";
import type { KubeletMetrics } from "../metrics/kubelet-metrics.js";
import { retryDelay } from "../pods/pod-lifecycle.js";
import type { Limiter } from "../scheduling/limiter.js";
import type { Timer, TimerQueue } from "../scheduling/timer-queue.js";
import { heartbeatPatch, nodeInternalIp, nodeLabels, nodeObject, podIp } from "./node-objects.js";

/** A registered node. */
export interface SimNode {
  readonly name: string;
  readonly index: number;
  /** The Node object's uid (in the tokens' `kubernetes.io.node` claim). */
  uid: string;
  readonly internalIp: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly maxPods: number;
  /** When Ready last changed, for `lastTransitionTime`. */
  readySince: number;
  /** Pod IPs handed out so far. */
  podSeq: number;
}

/** Options of {@link NodeManager}. */
export interface NodeManagerOptions {
  readonly api: KubeletApi;
  readonly limiter: Limiter;
  readonly timers: TimerQueue;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: KubeletMetrics;
  readonly behaviour: Behaviour;
  readonly names: readonly string[];
  /** `--node-labels`. */
  readonly labels: Readonly<Record<string, string>>;
}

/** The simulated nodes of this process. */
export class NodeManager {
  readonly #o: NodeManagerOptions;
  readonly #nodes = new Map<string, SimNode>();
  readonly #heartbeats = new Map<string, Timer>();
  #stopped = false;

  constructor(options: NodeManagerOptions) {
    this.#o = options;
  }

  /** The node of that name, when it is one of this process's. */
  get(name: string): SimNode | undefined {
    return this.#nodes.get(name);
  }

  /** All nodes, in index order. */
  all(): SimNode[] {
    return [...this.#nodes.values()].sort((a, b) => a.index - b.index);
  }

  /** A fresh pod IP on the node. */
  allocatePodIp(node: SimNode): string {
    return podIp(node.index, node.podSeq++);
  }

  /**
   * Registers every node (retrying each with back-off until it succeeds or `signal` aborts), then
   * starts the heartbeats.
   */
  async register(signal: AbortSignal): Promise<void> {
    const { names, behaviour } = this.#o;
    await Promise.all(
      names.map(async (name, index) => {
        for (let failures = 1; !signal.aborted; failures++) {
          try {
            await this.#registerOne(name, index);
            return;
          } catch (err) {
            this.#o.log.warn({ err, node: name }, "cannot register node; retrying");
            await this.#o.clock.sleep(retryDelay(failures), signal).catch(() => {});
          }
        }
      }),
    );
    this.#o.metrics.nodes.set({}, this.#nodes.size);
    const interval = behaviour.node.heartbeatIntervalMs;
    const n = Math.max(1, names.length);
    for (const node of this.all()) {
      // Spread: node i beats at offset i/N of the interval, so N nodes make N/interval calls per second.
      this.#schedule(node, this.#o.clock.now() + Math.floor((interval * node.index) / n) + interval);
    }
    this.#o.log.info({ nodes: this.#nodes.size, heartbeatIntervalMs: interval }, "nodes registered");
  }

  async #registerOne(name: string, index: number): Promise<void> {
    const { api, limiter, behaviour, clock } = this.#o;
    const now = clock.now();
    const wanted = nodeObject(name, index, behaviour, this.#o.labels, now);
    let uid: string;
    let readySince = now;
    try {
      const created = await limiter.run(() => api.createNode(wanted));
      uid = created.metadata?.uid ?? "";
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Adopt the Node of an earlier run: same uid (tokens name it), labels brought up to date.
      const existing = await limiter.run(() => api.getNode(name));
      uid = existing.metadata?.uid ?? "";
      const ready = existing.status?.conditions.find((c) => c.type === "Ready");
      if (ready?.status === "True") readySince = msFromTime(ready.lastTransitionTime) ?? now;
      await limiter.run(() =>
        api.patchNode(
          name,
          JSON.stringify({ metadata: { labels: nodeLabels(name, behaviour, this.#o.labels) } }),
        ),
      );
      await limiter.run(() => api.patchNode(name, heartbeatPatch(now, readySince), "status"));
    }
    this.#nodes.set(name, {
      name,
      index,
      uid,
      internalIp: nodeInternalIp(index),
      labels: nodeLabels(name, behaviour, this.#o.labels),
      maxPods: maxPodsOf(behaviour),
      readySince,
      podSeq: 0,
    });
  }

  #schedule(node: SimNode, due: number): void {
    if (this.#stopped) return;
    this.#heartbeats.set(
      node.name,
      this.#o.timers.at(due, () => void this.#beat(node)),
    );
  }

  async #beat(node: SimNode): Promise<void> {
    const { api, limiter, clock, metrics, behaviour } = this.#o;
    const started = clock.now();
    try {
      await limiter.run(() =>
        api.patchNode(node.name, heartbeatPatch(clock.now(), node.readySince), "status"),
      );
      metrics.nodeHeartbeats.inc({ result: "success" });
    } catch (err) {
      metrics.nodeHeartbeats.inc({ result: "failure" });
      this.#o.log.warn({ err, node: node.name }, "node heartbeat failed");
    }
    this.#schedule(node, started + behaviour.node.heartbeatIntervalMs);
  }

  /** Stops the heartbeats; with `deleteNodes`, deletes the Node objects. */
  async stop(deleteNodes: boolean): Promise<void> {
    this.#stopped = true;
    for (const t of this.#heartbeats.values()) t.cancel();
    this.#heartbeats.clear();
    if (!deleteNodes) return;
    const { api, limiter, log } = this.#o;
    await Promise.all(
      [...this.#nodes.keys()].map((name) =>
        limiter
          .run(() => api.deleteNode(name))
          .catch((err: unknown) => log.warn({ err, node: name }, "cannot delete node")),
      ),
    );
    log.info({ nodes: this.#nodes.size }, "nodes deleted");
    this.#o.metrics.nodes.set({}, 0);
  }
}
