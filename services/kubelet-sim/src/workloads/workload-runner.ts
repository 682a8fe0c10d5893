/**
 * Simulated workloads: for each selected pod, a client that calls the apiserver's HTTPS API every
 * `--workload-interval` with the token mounted in its service account volume, verifying the
 * server with the mounted `ca.crt` (as client-go's in-cluster config does). The call is
 * `POST /apis/authentication.k8s.io/v1/selfsubjectreviews`, which every authenticated user may
 * make, so a failure means the token no longer authenticates (expired, revoked, pod deleted).
 * Results are counted in `kubelet_sim_workload_requests_total{result}`; failures are logged with
 * the pod and the reason, never the token. One timer per workload in the scheduler loop.
 */
import { Agent, request } from "node:https";
import type { Clock, Logger } from "@tokenplane/runtime";
import type { KubeletMetrics } from "../metrics/kubelet-metrics.js";
import type { Timer, TimerQueue } from "../scheduling/timer-queue.js";
import { MountedCredentials } from "./mounted-credentials.js";

/** The label (or annotation) that turns a pod's workload on with `--workloads=labelled`. */
export const WORKLOAD_LABEL = "tokenplane.io/workload";
/** Where admission mounts the service account volume (reference §3.3). */
export const SERVICE_ACCOUNT_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The request a workload makes. */
export const SELF_SUBJECT_REVIEW_PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
const BODY = JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });

/** Options of {@link WorkloadRunner}. */
export interface WorkloadRunnerOptions {
  /** `https://host:port` of the Kubernetes API. */
  readonly apiserverUrl: string;
  /** Pause between calls of one workload, milliseconds. */
  readonly intervalMs: number;
  readonly timers: TimerQueue;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: KubeletMetrics;
  /** Spreads first calls over the interval; default `Math.random`. */
  readonly random?: () => number;
  /** Deadline of one call, milliseconds; default 10000. */
  readonly timeoutMs?: number;
}

interface Workload {
  readonly pod: string;
  readonly credentials: MountedCredentials;
  timer: Timer | undefined;
  stopped: boolean;
  /** The last failure reason logged, so a steady failure is logged once per change. */
  lastFailure: string | undefined;
}

/** The outcome of one call. */
export type WorkloadResult = { ok: true } | { ok: false; reason: string; detail: string };

/** Runs the simulated workloads. */
export class WorkloadRunner {
  readonly #o: WorkloadRunnerOptions;
  readonly #random: () => number;
  readonly #workloads = new Map<string, Workload>();
  /** One keep-alive agent per CA bundle: every pod of a cluster shares the same. */
  readonly #agents = new Map<string, Agent>();
  readonly #url: URL;

  constructor(options: WorkloadRunnerOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
    this.#url = new URL(SELF_SUBJECT_REVIEW_PATH, options.apiserverUrl);
  }

  /** Workloads running. */
  get size(): number {
    return this.#workloads.size;
  }

  /**
   * Starts the workload of pod `uid` (`namespace/name` for logs) reading `volumeDir`; its first
   * call comes within one interval. Starting one that runs does nothing.
   */
  start(uid: string, pod: string, volumeDir: string): void {
    if (this.#workloads.has(uid)) return;
    const w: Workload = {
      pod,
      credentials: new MountedCredentials(volumeDir),
      timer: undefined,
      stopped: false,
      lastFailure: undefined,
    };
    this.#workloads.set(uid, w);
    w.timer = this.#o.timers.after(Math.floor(this.#random() * this.#o.intervalMs), () => void this.#tick(w));
    this.#o.log.debug({ pod }, "workload started");
  }

  /** Stops the workload of pod `uid` (containers got SIGTERM). */
  stop(uid: string): void {
    const w = this.#workloads.get(uid);
    if (w === undefined) return;
    w.stopped = true;
    w.timer?.cancel();
    this.#workloads.delete(uid);
  }

  /** Stops every workload and closes the connections. */
  close(): void {
    for (const uid of [...this.#workloads.keys()]) this.stop(uid);
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
  }

  async #tick(w: Workload): Promise<void> {
    if (w.stopped) return;
    const started = this.#o.clock.now();
    const result = await this.call(w.credentials);
    if (w.stopped) return;
    const { metrics, log } = this.#o;
    if (result.ok) {
      metrics.workloadRequests.inc({ result: "success" });
      if (w.lastFailure !== undefined) log.info({ pod: w.pod }, "workload request succeeds again");
      w.lastFailure = undefined;
    } else {
      metrics.workloadRequests.inc({ result: "failure" });
      metrics.workloadFailures.inc({ reason: result.reason });
      if (w.lastFailure !== result.reason) {
        log.warn({ pod: w.pod, reason: result.reason, detail: result.detail }, "workload request failed");
      }
      w.lastFailure = result.reason;
    }
    w.timer = this.#o.timers.at(started + this.#o.intervalMs, () => void this.#tick(w));
  }

  /** One call with the mounted credentials. */
  async call(credentials: MountedCredentials): Promise<WorkloadResult> {
    let token: string;
    let ca: string;
    try {
      ({ token, ca } = await credentials.read());
    } catch (err) {
      return { ok: false, reason: "token_unreadable", detail: (err as Error).message };
    }
    let agent = this.#agents.get(ca);
    if (agent === undefined) {
      agent = new Agent({ ca, keepAlive: true, maxSockets: 64 });
      this.#agents.set(ca, agent);
    }
    return new Promise<WorkloadResult>((resolve) => {
      const req = request(
        this.#url,
        {
          method: "POST",
          agent,
          timeout: this.#o.timeoutMs ?? 10_000,
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            accept: "application/json",
            "content-length": Buffer.byteLength(BODY),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const code = res.statusCode ?? 0;
            if (code === 201 || code === 200) return resolve({ ok: true });
            const body = Buffer.concat(chunks).toString("utf8");
            let message = body.slice(0, 200);
            try {
              message = String((JSON.parse(body) as { message?: unknown }).message ?? message);
            } catch {
              // not a Status
            }
            const reason = code === 401 ? "unauthorized" : code === 403 ? "forbidden" : `http_${code}`;
            resolve({ ok: false, reason, detail: `${code} ${message}` });
          });
          res.on("error", (err) => resolve({ ok: false, reason: "network", detail: err.message }));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (err) => resolve({ ok: false, reason: "network", detail: err.message }));
      req.end(BODY);
    });
  }
}
