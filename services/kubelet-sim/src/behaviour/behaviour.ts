/**
 * Simulated behaviour as data (kwok's stages, STYLE.md): how long a pod takes from being seen on
 * its node to Running and Ready, how long its containers take to stop after deletion starts, and
 * what the simulated nodes look like and how often they report. Read once from `--behaviour-file`
 * (YAML or JSON, every field optional, unknown fields refused) over {@link DEFAULT_BEHAVIOUR}.
 *
 * Durations are Go duration strings (`1s`, `500ms`, `1m30s`), as in every tokenplane flag.
 */
import { formatDuration, type ParseResult, parseDuration } from "@tokenplane/runtime";
import { parse as parseYaml } from "yaml";

/** A delay with a random extra in `[0, jitter)`, both milliseconds. */
export interface Delay {
  readonly delayMs: number;
  readonly jitterMs: number;
}

/** A node taint (`spec.taints[]`). */
export interface TaintSpec {
  readonly key: string;
  readonly value: string;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. */
  readonly effect: string;
}

/** The whole behaviour. */
export interface Behaviour {
  readonly pod: {
    /**
     * Write a `Pending` status with containers `ContainerCreating` (and `startTime`) as soon as a
     * pod is seen on its node, before its volumes are mounted, as the kubelet does. Default true.
     */
    readonly reportContainerCreating: boolean;
    /** From a pod first seen on its node to `Running` (never before its volumes are written). Default 1s + [0, 500ms). */
    readonly start: Delay;
    /** From `Running` to `Ready`; 0 reports both in one status write. Default 0. */
    readonly ready: Delay;
    /**
     * How long the containers take to stop once deletion starts; the pod's files are then removed
     * and the deletion confirmed. `grace` (the default) = the pod's whole grace period, i.e. a
     * process that ignores SIGTERM; a duration is capped at the grace period.
     */
    readonly stop: Delay | "grace";
  };
  readonly node: {
    /** How often each node posts its status (Ready + lastHeartbeatTime); nodes are spread evenly over it. Default 1m. */
    readonly heartbeatIntervalMs: number;
    /** Extra labels of every node (under `--node-labels`). */
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly TaintSpec[];
    /** `status.capacity`; `pods` is also the most pods the simulator binds to one node. */
    readonly capacity: Readonly<Record<string, string>>;
    /** `status.allocatable`; default = capacity. */
    readonly allocatable: Readonly<Record<string, string>>;
    /** `status.nodeInfo` fields. */
    readonly nodeInfo: {
      readonly kubeletVersion: string;
      readonly containerRuntimeVersion: string;
      readonly osImage: string;
      readonly kernelVersion: string;
      readonly operatingSystem: string;
      readonly architecture: string;
    };
  };
}

/** The built-in behaviour (README "Behaviour file" prints it as YAML). */
export const DEFAULT_BEHAVIOUR: Behaviour = {
  pod: {
    reportContainerCreating: true,
    start: { delayMs: 1_000, jitterMs: 500 },
    ready: { delayMs: 0, jitterMs: 0 },
    stop: "grace",
  },
  node: {
    heartbeatIntervalMs: 60_000,
    labels: {},
    taints: [],
    capacity: { cpu: "32", memory: "256Gi", pods: "110", "ephemeral-storage": "100Gi" },
    allocatable: { cpu: "32", memory: "256Gi", pods: "110", "ephemeral-storage": "100Gi" },
    nodeInfo: {
      kubeletVersion: "v1.32.0",
      containerRuntimeVersion: "tokenplane://0.1.0",
      osImage: "tokenplane kubelet-sim",
      kernelVersion: "",
      operatingSystem: "linux",
      architecture: "amd64",
    },
  },
};

/** Most pods one node takes: `capacity.pods`, else 110 (the kubelet's `--max-pods`). */
export function maxPodsOf(behaviour: Behaviour): number {
  const n = Number.parseInt(behaviour.node.allocatable.pods ?? behaviour.node.capacity.pods ?? "110", 10);
  return Number.isFinite(n) && n >= 0 ? n : 110;
}

/** Draws a delay: `delayMs + floor(random() × jitterMs)`. */
export function drawDelay(delay: Delay, random: () => number): number {
  return delay.delayMs + Math.floor(random() * delay.jitterMs);
}

type Raw = Record<string, unknown>;

/** Collects the first error and the fields seen, so unknown fields can be named. */
class Reader {
  error: string | undefined;
  fail(path: string, message: string): void {
    this.error ??= `${path}: ${message}`;
  }
  object(value: unknown, path: string, known: readonly string[]): Raw {
    if (value === undefined || value === null) return {};
    if (typeof value !== "object" || Array.isArray(value)) {
      this.fail(path, "must be a mapping");
      return {};
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.fail(`${path}.${key}`.replace(/^\./, ""), "unknown field");
    }
    return value as Raw;
  }
  duration(value: unknown, path: string, fallback: number): number {
    if (value === undefined) return fallback;
    const parsed: ParseResult<number> = parseDuration(String(value));
    if ("error" in parsed || parsed.value < 0) {
      this.fail(path, `invalid duration "${String(value)}" (Go syntax, e.g. 1s, 500ms, 1m30s; not negative)`);
      return fallback;
    }
    return parsed.value;
  }
  bool(value: unknown, path: string, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") {
      this.fail(path, `must be true or false, not ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  }
  string(value: unknown, path: string, fallback: string): string {
    if (value === undefined) return fallback;
    if (typeof value !== "string") {
      this.fail(path, `must be a string, not ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  }
  stringMap(
    value: unknown,
    path: string,
    fallback: Readonly<Record<string, string>>,
  ): Record<string, string> {
    if (value === undefined) return { ...fallback };
    const raw = this.object(value, path, Object.keys((value as Raw | null) ?? {}));
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v === "string" || typeof v === "number") out[k] = String(v);
      else this.fail(`${path}.${k}`, `must be a string, not ${JSON.stringify(v)}`);
    }
    return out;
  }
  delay(value: unknown, path: string, fallback: Delay): Delay {
    const raw = this.object(value, path, ["delay", "jitter"]);
    return {
      delayMs: this.duration(raw.delay, `${path}.delay`, fallback.delayMs),
      jitterMs: this.duration(raw.jitter, `${path}.jitter`, fallback.jitterMs),
    };
  }
}

/**
 * Parses a behaviour file's text (YAML 1.2, so JSON too) over the defaults. Errors name the
 * field: `pod.start.delay: invalid duration "soon" (...)`, `node.colour: unknown field`.
 */
export function parseBehaviour(
  text: string,
  defaults: Behaviour = DEFAULT_BEHAVIOUR,
): ParseResult<Behaviour> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return { error: `not valid YAML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}` };
  }
  const r = new Reader();
  const top = r.object(doc, "", ["pod", "node"]);
  const pod = r.object(top.pod, "pod", ["reportContainerCreating", "start", "ready", "stop"]);
  const stopRaw = r.object(pod.stop, "pod.stop", ["delay", "jitter"]);
  const defaultStop = defaults.pod.stop;
  let stop: Delay | "grace";
  if (stopRaw.delay === "grace" || (stopRaw.delay === undefined && defaultStop === "grace")) {
    stop = "grace";
  } else {
    stop = r.delay(stopRaw, "pod.stop", defaultStop === "grace" ? { delayMs: 0, jitterMs: 0 } : defaultStop);
  }
  const node = r.object(top.node, "node", [
    "heartbeatInterval",
    "labels",
    "taints",
    "capacity",
    "allocatable",
    "nodeInfo",
  ]);
  const infoRaw = r.object(node.nodeInfo, "node.nodeInfo", Object.keys(defaults.node.nodeInfo));
  const nodeInfo = Object.fromEntries(
    Object.entries(defaults.node.nodeInfo).map(([k, v]) => [
      k,
      r.string(infoRaw[k], `node.nodeInfo.${k}`, v),
    ]),
  ) as unknown as Behaviour["node"]["nodeInfo"];
  const capacity = r.stringMap(node.capacity, "node.capacity", defaults.node.capacity);
  const taints: TaintSpec[] = [];
  if (node.taints !== undefined) {
    if (!Array.isArray(node.taints)) r.fail("node.taints", "must be a list");
    else
      node.taints.forEach((t, i) => {
        const raw = r.object(t, `node.taints[${i}]`, ["key", "value", "effect"]);
        const effect = r.string(raw.effect, `node.taints[${i}].effect`, "NoSchedule");
        if (!["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(effect)) {
          r.fail(
            `node.taints[${i}].effect`,
            `must be NoSchedule, PreferNoSchedule or NoExecute, not "${effect}"`,
          );
        }
        taints.push({
          key: r.string(raw.key, `node.taints[${i}].key`, ""),
          value: r.string(raw.value, `node.taints[${i}].value`, ""),
          effect,
        });
      });
  }
  const value: Behaviour = {
    pod: {
      reportContainerCreating: r.bool(
        pod.reportContainerCreating,
        "pod.reportContainerCreating",
        defaults.pod.reportContainerCreating,
      ),
      start: r.delay(pod.start, "pod.start", defaults.pod.start),
      ready: r.delay(pod.ready, "pod.ready", defaults.pod.ready),
      stop,
    },
    node: {
      heartbeatIntervalMs: r.duration(
        node.heartbeatInterval,
        "node.heartbeatInterval",
        defaults.node.heartbeatIntervalMs,
      ),
      labels: r.stringMap(node.labels, "node.labels", defaults.node.labels),
      taints: node.taints === undefined ? defaults.node.taints : taints,
      capacity,
      // Allocatable follows a changed capacity unless given.
      allocatable: r.stringMap(
        node.allocatable,
        "node.allocatable",
        node.capacity === undefined ? defaults.node.allocatable : capacity,
      ),
      nodeInfo,
    },
  };
  if (value.node.heartbeatIntervalMs < 1000) r.fail("node.heartbeatInterval", "must be at least 1s");
  return r.error === undefined ? { value } : { error: r.error };
}

/** The behaviour as the YAML a file would hold (README and `--help` show the defaults this way). */
export function behaviourToYaml(b: Behaviour): string {
  const d = (x: Delay) => `{ delay: ${formatDuration(x.delayMs)}, jitter: ${formatDuration(x.jitterMs)} }`;
  const map = (m: Readonly<Record<string, string>>) =>
    `{ ${Object.entries(m)
      .map(([k, v]) => `${k}: "${v}"`)
      .join(", ")} }`;
  return [
    "pod:",
    `  reportContainerCreating: ${b.pod.reportContainerCreating}`,
    `  start: ${d(b.pod.start)}`,
    `  ready: ${d(b.pod.ready)}`,
    `  stop: ${b.pod.stop === "grace" ? "{ delay: grace }" : d(b.pod.stop)}`,
    "node:",
    `  heartbeatInterval: ${formatDuration(b.node.heartbeatIntervalMs)}`,
    `  labels: ${map(b.node.labels)}`,
    `  taints: [${b.node.taints.map((t) => `{ key: "${t.key}", value: "${t.value}", effect: ${t.effect} }`).join(", ")}]`,
    `  capacity: ${map(b.node.capacity)}`,
    `  allocatable: ${map(b.node.allocatable)}`,
    `  nodeInfo: ${map(b.node.nodeInfo as unknown as Record<string, string>)}`,
    "",
  ].join("\n");
}
