/**
 * kubelet-sim benchmark: how many simulated nodes and pods (with their projected tokens) one
 * kubelet-sim process sustains on this machine, how fast a burst of new pods gets Running with
 * tokens on disk, what steady token rotation costs, and the kubelet-sim's memory per pod.
 *
 * The real processes run as `pnpm start` runs them (@tokenplane/stack): nats-server, apiserver
 * (`--storage-backend=memory`: nothing here measures the store's durability), admission,
 * token-controller (default ServiceAccount and kube-root-ca.crt per namespace) and kubelet-sim.
 * Pods are created over the apiserver's gRPC API as the administrator, with bounded concurrency.
 * "Running with tokens" is read from the kubelet-sim's own gauge `kubelet_sim_pods{state="running"}`
 * (a pod counts once its volume is written and its Running status accepted), and checked at the
 * end of each phase against the apiserver (a List) and the disk (a sample of token files).
 *
 * Run on its own: `npx tsx bench/kubelet-sim.ts [--nodes=1000] [--burst=10000] [--runs=3]
 * [--pods=100000] [--rotation-pods=10000] [--rotation-seconds=60,20] [--rotation-window=120]
 * [--alg=ES256,RS256] [--budget=1800] [--json=out.json]`.
 * `bench/run.ts` calls {@link runKubeletSimBench}.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ApiserverClient, createApiserverClient, createGrpcChannel } from "@tokenplane/runtime";
import {
  type ClusterLayout,
  type ComponentName,
  clusterLayout,
  ensureClusterState,
  type ServicePorts,
  type ServiceProcess,
  type StackSettings,
  serviceProcessSpec,
  startNatsProcess,
  startProcess,
} from "@tokenplane/stack";
import { freePort } from "@tokenplane/testing";
import { Presets, SingleBar } from "cli-progress";

/** Options of {@link runKubeletSimBench}; every field has a default. */
export interface KubeletSimBenchOptions {
  /** Simulated nodes in the one kubelet-sim process; default 1000. */
  readonly nodes?: number;
  /** Pods per burst; default 10000. */
  readonly burstPods?: number;
  /** Burst runs (the median is reported); default 3. */
  readonly burstRuns?: number;
  /** Pods the scale phase aims for (0 = skip), created in ten steps with a memory sample after each; default 100000. */
  readonly scalePods?: number;
  /** Pods with short-lived tokens for the steady rotation phase; default 10000 (0 = skip). */
  readonly rotationPods?: number;
  /**
   * Token lifetimes of the rotation phase, seconds, one measurement each; default [60, 20]
   * (refresh after ~43.5 s and ~11.5 s on average: 230/s and 870/s for 10000 pods).
   */
  readonly rotationSeconds?: readonly number[];
  /** How long rotation is measured once it is steady, seconds; default 120. */
  readonly rotationWindowSeconds?: number;
  /** Signing key algorithms to run the whole bench with; default ["ES256", "RS256"]. */
  readonly algorithms?: ReadonlyArray<"RS256" | "ES256">;
  /** Pod creations in flight; default 64. */
  readonly createConcurrency?: number;
  /** Time allowed for the scale phase, seconds; creation stops when it runs out; default 1800. */
  readonly scaleBudgetSeconds?: number;
  /** Show progress bars (default: when stderr is a terminal). */
  readonly progress?: boolean;
  /** Where lines of the report go; default standard output. */
  readonly log?: (line: string) => void;
}

/** Figures of one algorithm's run. */
export interface KubeletSimBenchFigures {
  readonly algorithm: "RS256" | "ES256";
  readonly nodes: number;
  /** Seconds from the kubelet-sim's start to healthy with every node registered. */
  readonly nodeRegistrationSeconds: number;
  readonly burst: {
    readonly pods: number;
    /** Seconds from the first create to the last pod Running with its token on disk, per run. */
    readonly seconds: number[];
    readonly medianSeconds: number;
    /** Pods per second, median run. */
    readonly podsPerSecond: number;
    /** Seconds to create the pods (the apiserver's and admission's share), median. */
    readonly createSeconds: number;
    /** kubelet-sim's pod start latency (seen on node → Running), median run: mean, seconds. */
    readonly meanStartSeconds: number;
    /** CPU time per pod (create to Running, deletion not included), median run, milliseconds. */
    readonly kubeletSimCpuMsPerPod: number;
    readonly apiserverCpuMsPerPod: number;
  };
  readonly rotation: Array<{
    readonly pods: number;
    readonly tokenSeconds: number;
    /** Rotations the pods need per second: pods / (80 % lifetime − mean jitter). */
    readonly requiredPerSecond: number;
    /** TokenRequests the kubelet-sim made per second during the window. */
    readonly achievedPerSecond: number;
    /** Mean and worst refresh lag (seconds past due) during the window. */
    readonly meanLagSeconds: number;
    readonly lagOver1sShare: number;
    readonly refreshFailures: number;
    /** CPU time per refresh during the window, milliseconds. */
    readonly kubeletSimCpuMsPerRefresh: number;
    readonly apiserverCpuMsPerRefresh: number;
  }>;
  readonly scale?: {
    /** Pods asked for and pods that got Running with tokens within the budget. */
    readonly target: number;
    readonly running: number;
    readonly seconds: number;
    readonly podsPerSecond: number;
    /** kubelet-sim resident memory and V8 heap with all of them, MiB. */
    readonly rssMiB: number;
    readonly heapMiB: number;
    /** Memory per pod: least-squares slope of RSS and heap over the step samples, KiB. */
    readonly rssKiBPerPod: number;
    readonly heapKiBPerPod: number;
    /** The samples: running pods, RSS MiB, heap MiB, pods/s of the step. */
    readonly samples: Array<{ pods: number; rssMiB: number; heapMiB: number; podsPerSecond: number }>;
    /** The apiserver's resident memory at the end, MiB. */
    readonly apiserverRssMiB: number;
    /** What stopped it short of the target, if it was. */
    readonly limitedBy?: string;
  };
}

/** What {@link runKubeletSimBench} resolves with. */
export interface KubeletSimBenchResult {
  readonly runs: KubeletSimBenchFigures[];
}

const HOST = "127.0.0.1";
const SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The 1-minute load average (other work on the machine skews every figure; it is logged with each). */
const load = () =>
  existsSync("/proc/loadavg") ? Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]) : Number.NaN;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2 === 1
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Scrapes a service's /metrics: series (without the service label) → value. */
export async function scrape(port: number): Promise<Map<string, number>> {
  let text: string | undefined;
  for (let attempt = 1; text === undefined; attempt++) {
    try {
      text = await (await fetch(`http://${HOST}:${port}/metrics`)).text();
    } catch (err) {
      // fetch reuses keep-alive connections; one the server closes as idle (Node's 5 s
      // keepAliveTimeout) just as a request goes out fails with ECONNRESET. Ask again.
      if (attempt >= 3) throw err;
      await sleep(100);
    }
  }
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(
      line
        .slice(0, i)
        .replace(/,?service="[^"]*"/, "")
        .replace("{}", ""),
      Number(line.slice(i + 1)),
    );
  }
  return out;
}

interface Stack {
  settings: StackSettings;
  layout: ClusterLayout;
  ports: Record<ComponentName, ServicePorts>;
  api: ApiserverClient;
  procs: Map<ComponentName, ServiceProcess>;
  tails: Map<string, string[]>;
  close(): Promise<void>;
}

/** Starts the processes of the stack; the kubelet-sim last, timed. */
export async function startStack(
  algorithm: "RS256" | "ES256",
  o: { nodes: number; minTokenSeconds: number },
): Promise<Stack & { nodeRegistrationSeconds: number }> {
  const home = mkdtempSync(path.join(tmpdir(), "kubelet-sim-bench-"));
  const layout = clusterLayout(home);
  await ensureClusterState(layout, { signingKeyAlgorithm: algorithm });
  const tails = new Map<string, string[]>();
  const sink = (name: string, _stream: string, line: string) => {
    let t = tails.get(name);
    if (t === undefined) {
      t = [];
      tails.set(name, t);
    }
    t.push(line);
    if (t.length > 200) t.splice(0, 100);
  };
  const nats = await startNatsProcess(
    { host: HOST, port: await freePort(), storeDir: path.join(home, "nats") },
    sink,
  );
  const ports = {} as Record<ComponentName, ServicePorts>;
  for (const name of [
    "apiserver",
    "admission",
    "token-controller",
    "kubelet-sim",
    "oidc-discovery",
  ] as const) {
    ports[name] = {
      grpc: await freePort(),
      metrics: await freePort(),
      ...(name === "apiserver" ? { https: await freePort() } : {}),
    };
  }
  // The bench's behaviour: no start delay (the burst measures the machinery, not a simulated image pull).
  const behaviourFile = path.join(home, "behaviour.yaml");
  writeFileSync(
    behaviourFile,
    'pod:\n  start: { delay: 0s, jitter: 0s }\n  stop: { delay: 0s }\nnode:\n  capacity: { pods: "250" }\n',
  );
  const settings: StackSettings = {
    layout,
    ports,
    natsUrl: nats.url,
    host: HOST,
    logFormat: "json",
    logLevel: "info",
    extraArgs: {
      apiserver: [
        "--storage-backend=memory",
        `--service-account-token-min-expiration=${Math.min(o.minTokenSeconds, 600)}s`,
      ],
      "kubelet-sim": [`--nodes=${o.nodes}`, `--behaviour-file=${behaviourFile}`, "--workloads=none"],
    },
  };
  const procs = new Map<ComponentName, ServiceProcess>();
  const start = async (name: ComponentName) => {
    const p = startProcess(serviceProcessSpec(name, settings), sink);
    procs.set(name, p);
    try {
      await p.waitHealthy(600_000);
    } catch (err) {
      throw new Error(
        `${name} did not start: ${(err as Error).message}\n${(tails.get(name) ?? []).slice(-20).join("\n")}`,
      );
    }
  };
  for (const name of ["admission", "apiserver", "token-controller"] as const) await start(name);
  const t0 = performance.now();
  await start("kubelet-sim");
  const nodeRegistrationSeconds = (performance.now() - t0) / 1000;
  const channel = createGrpcChannel({
    address: `${HOST}:${ports.apiserver.grpc}`,
    tls: { certFile: layout.admin.cert, keyFile: layout.admin.key, caFile: layout.ca.cert },
  });
  const api = createApiserverClient(channel, { timeoutMs: 120_000 });
  return {
    settings,
    layout,
    ports,
    api,
    procs,
    tails,
    nodeRegistrationSeconds,
    async close() {
      channel.close();
      for (const name of ["kubelet-sim", "token-controller", "apiserver", "admission"] as const)
        await procs.get(name)?.stop(10_000);
      await nats.process.stop(5_000);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` over `items` with at most `concurrency` in flight; ticks `onDone` per item. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
  onDone?: () => void,
  stopAt?: number,
): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length && (stopAt === undefined || Date.now() < stopAt)) {
      const item = items[next++]!;
      for (let attempt = 0; ; attempt++) {
        try {
          await fn(item);
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(200 * 2 ** attempt);
        }
      }
      done++;
      onDone?.();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done;
}

export function podInit(namespace: string, name: string, rotationSeconds?: number) {
  const volume = rotationSeconds === undefined ? undefined : "kube-api-access-rotate";
  return {
    object: {
      object: {
        case: "pod" as const,
        value: {
          metadata: { name, namespace },
          spec: {
            containers: [
              {
                name: "app",
                image: "busybox",
                volumeMounts:
                  volume === undefined ? [] : [{ name: volume, mountPath: SA_MOUNT, readOnly: true }],
              },
            ],
            volumes:
              volume === undefined
                ? []
                : [
                    {
                      name: volume,
                      volumeSource: {
                        projected: {
                          defaultMode: 0o644,
                          sources: [
                            {
                              serviceAccountToken: {
                                path: "token",
                                expirationSeconds: BigInt(rotationSeconds!),
                              },
                            },
                            {
                              configMap: {
                                localObjectReference: { name: "kube-root-ca.crt" },
                                items: [{ key: "ca.crt", path: "ca.crt" }],
                              },
                            },
                            {
                              downwardAPI: {
                                items: [
                                  {
                                    path: "namespace",
                                    fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" },
                                  },
                                ],
                              },
                            },
                          ],
                        },
                      },
                    },
                  ],
          },
        },
      },
    },
  };
}

export async function ensureNamespace(api: ApiserverClient, name: string): Promise<void> {
  await api.objects.create({ object: { object: { case: "namespace", value: { metadata: { name } } } } });
  // The token-controller makes `default` and `kube-root-ca.crt`; admission needs the first, volumes the second.
  for (;;) {
    try {
      await api.objects.get({ group: "", resource: "serviceaccounts", namespace: name, name: "default" });
      await api.objects.get({ group: "", resource: "configmaps", namespace: name, name: "kube-root-ca.crt" });
      return;
    } catch {
      await sleep(100);
    }
  }
}

function bar(
  enabled: boolean,
  label: string,
  total: number,
): { tick(n?: number): void; set(n: number): void; stop(): void } {
  if (!enabled) return { tick() {}, set() {}, stop() {} };
  const b = new SingleBar(
    {
      format: `${label.padEnd(28)} [{bar}] {value}/{total} {percentage}% {eta_formatted} left`,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  b.start(total, 0);
  return { tick: (n = 1) => b.increment(n), set: (n) => b.update(n), stop: () => b.stop() };
}

/** Waits until the kubelet-sim reports `count` running pods; returns the seconds since `t0`. */
async function waitRunning(
  stack: Stack,
  count: number,
  t0: number,
  label: string,
  progress: boolean,
  deadline = Number.POSITIVE_INFINITY,
): Promise<{ seconds: number; running: number }> {
  const b = bar(progress, label, count);
  let running = 0;
  try {
    for (;;) {
      const m = await scrape(stack.ports["kubelet-sim"].metrics);
      running = m.get('kubelet_sim_pods{state="running"}') ?? 0;
      b.set(running);
      if (running >= count) return { seconds: (performance.now() - t0) / 1000, running };
      if (Date.now() > deadline) return { seconds: (performance.now() - t0) / 1000, running };
      if (!stack.procs.get("kubelet-sim")?.running())
        throw new Error(
          `kubelet-sim exited:\n${(stack.tails.get("kubelet-sim") ?? []).slice(-20).join("\n")}`,
        );
      await sleep(250);
    }
  } finally {
    b.stop();
  }
}

/** Counts Running pods of a namespace in the apiserver and checks a sample of their token files. */
async function verify(stack: Stack, namespace: string, expected: number): Promise<void> {
  let running = 0;
  let continueToken = "";
  const sample: string[] = [];
  do {
    const page = await stack.api.objects.list({
      group: "",
      resource: "pods",
      namespace,
      limit: 2000n,
      continueToken,
    });
    for (const item of page.items) {
      if (item.object.case !== "pod") continue;
      const pod = item.object.value;
      if (pod.status?.phase === "Running") running++;
      if (sample.length < 20 && pod.metadata?.uid) {
        const vol = pod.spec?.volumes.find((v) => v.name.startsWith("kube-api-access-"))?.name ?? "";
        sample.push(
          path.join(
            stack.layout.kubeletDir,
            "pods",
            pod.metadata.uid,
            "volumes",
            "kubernetes.io~projected",
            vol,
            "token",
          ),
        );
      }
    }
    continueToken = page.continueToken;
  } while (continueToken !== "");
  if (running < expected)
    throw new Error(`apiserver shows ${running} Running pods in ${namespace}, want ${expected}`);
  for (const f of sample) {
    const token = readFileSync(f, "utf8");
    if (token.split(".").length !== 3) throw new Error(`${f} does not hold a JWT`);
  }
}

async function deleteAll(
  stack: Stack,
  namespace: string,
  names: readonly string[],
  concurrency: number,
  progress: boolean,
): Promise<void> {
  const b = bar(progress, `delete ${names.length} pods`, names.length);
  await pool(
    names,
    concurrency,
    async (name) => {
      try {
        await stack.api.objects.delete({
          group: "",
          resource: "pods",
          namespace,
          name,
          options: { gracePeriodSeconds: 0n },
        });
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
      }
    },
    () => b.tick(),
  );
  b.stop();
  // The kubelet-sim drops them when the deletions reach it.
  for (;;) {
    const m = await scrape(stack.ports["kubelet-sim"].metrics);
    const left =
      (m.get('kubelet_sim_pods{state="running"}') ?? 0) + (m.get('kubelet_sim_pods{state="pending"}') ?? 0);
    if (left === 0) return;
    await sleep(250);
  }
}

async function runOne(
  algorithm: "RS256" | "ES256",
  o: Required<Omit<KubeletSimBenchOptions, "algorithms" | "log">>,
  log: (l: string) => void,
): Promise<KubeletSimBenchFigures> {
  log(`\n== kubelet-sim bench, ${algorithm} service-account key, ${o.nodes} nodes ==`);
  const stack = await startStack(algorithm, {
    nodes: o.nodes,
    minTokenSeconds: Math.min(600, ...o.rotationSeconds),
  });
  try {
    log(`nodes registered: ${o.nodes} in ${round(stack.nodeRegistrationSeconds)} s (process start included)`);
    const ksPort = stack.ports["kubelet-sim"].metrics;

    // 1. Bursts.
    const burstSeconds: number[] = [];
    const createSeconds: number[] = [];
    const meanStart: number[] = [];
    const ksCpu: number[] = [];
    const apiCpu: number[] = [];
    const apiPort = stack.ports.apiserver.metrics;
    const cpuOf = (m: Map<string, number>) => m.get("process_cpu_seconds_total") ?? 0;
    for (let run = 0; run < o.burstRuns; run++) {
      const ns = `burst-${run}`;
      await ensureNamespace(stack.api, ns);
      const names = Array.from({ length: o.burstPods }, (_, i) => `b${i}`);
      const before = await scrape(ksPort);
      const apiBefore = await scrape(apiPort);
      const t0 = performance.now();
      const b = bar(o.progress, `burst ${run + 1}: create`, names.length);
      await pool(
        names,
        o.createConcurrency,
        async (name) => void (await stack.api.objects.create(podInit(ns, name))),
        () => b.tick(),
      );
      b.stop();
      createSeconds.push((performance.now() - t0) / 1000);
      const { seconds } = await waitRunning(stack, o.burstPods, t0, `burst ${run + 1}: running`, o.progress);
      burstSeconds.push(seconds);
      const after = await scrape(ksPort);
      const apiAfter = await scrape(apiPort);
      ksCpu.push(((cpuOf(after) - cpuOf(before)) * 1000) / o.burstPods);
      apiCpu.push(((cpuOf(apiAfter) - cpuOf(apiBefore)) * 1000) / o.burstPods);
      const startCount =
        (after.get("kubelet_sim_pod_start_duration_seconds_count") ?? 0) -
        (before.get("kubelet_sim_pod_start_duration_seconds_count") ?? 0);
      const startSum =
        (after.get("kubelet_sim_pod_start_duration_seconds_sum") ?? 0) -
        (before.get("kubelet_sim_pod_start_duration_seconds_sum") ?? 0);
      meanStart.push(startSum / Math.max(1, startCount));
      await verify(stack, ns, o.burstPods);
      log(
        `[load ${load()}] burst ${run + 1}: ${o.burstPods} pods Running with tokens in ${round(seconds)} s (${round(o.burstPods / seconds)} pods/s; creates took ${round(createSeconds.at(-1)!)} s; mean start ${round(meanStart.at(-1)!)} s; CPU per pod: kubelet-sim ${round(ksCpu.at(-1)!)} ms, apiserver ${round(apiCpu.at(-1)!)} ms)`,
      );
      await deleteAll(stack, ns, names, o.createConcurrency, o.progress);
    }
    const medianBurst = median(burstSeconds);

    // 2. Steady rotation of short-lived tokens, for each lifetime.
    const rotation: KubeletSimBenchFigures["rotation"] = [];
    for (const seconds of o.rotationPods > 0 ? o.rotationSeconds : []) {
      const ns = `rotation-${seconds}`;
      await ensureNamespace(stack.api, ns);
      const names = Array.from({ length: o.rotationPods }, (_, i) => `r${i}`);
      const t0 = performance.now();
      const b = bar(o.progress, `rotation ${seconds}s: create`, names.length);
      await pool(
        names,
        o.createConcurrency,
        async (name) => void (await stack.api.objects.create(podInit(ns, name, seconds))),
        () => b.tick(),
      );
      b.stop();
      await waitRunning(stack, o.rotationPods, t0, `rotation ${seconds}s: running`, o.progress);
      // Steady state: every pod has refreshed at least once (the first wave comes ~80 % into the lifetime).
      const warm = Math.max(30, seconds * 1.2);
      log(
        `rotation: ${o.rotationPods} pods with ${seconds} s tokens running; warming up ${round(warm, 0)} s, then measuring ${o.rotationWindowSeconds} s`,
      );
      await sleep(warm * 1000);
      const m0 = await scrape(ksPort);
      const a0 = await scrape(apiPort);
      const w0 = performance.now();
      const wb = bar(o.progress, `rotation ${seconds}s: measuring`, o.rotationWindowSeconds);
      for (let i = 0; i < o.rotationWindowSeconds; i++) {
        await sleep(1000);
        wb.tick();
      }
      wb.stop();
      const m1 = await scrape(ksPort);
      const a1 = await scrape(apiPort);
      const window = (performance.now() - w0) / 1000;
      const issued = Math.max(
        1,
        (m1.get("kubelet_sim_tokens_issued_total") ?? 0) - (m0.get("kubelet_sim_tokens_issued_total") ?? 0),
      );
      const d = (k: string) => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
      const lagCount = d("kubelet_sim_token_refresh_lag_seconds_count");
      const under1 = d('kubelet_sim_token_refresh_lag_seconds_bucket{le="1"}');
      // Mean time between refreshes: 80 % of the lifetime (20 % truncated) minus the mean jitter 4.5 s.
      const refresh = seconds - Math.trunc((seconds * 20) / 100) - 4.5;
      const r = {
        pods: o.rotationPods,
        tokenSeconds: seconds,
        requiredPerSecond: round(o.rotationPods / refresh),
        achievedPerSecond: round(d("kubelet_sim_tokens_issued_total") / window),
        meanLagSeconds: round(d("kubelet_sim_token_refresh_lag_seconds_sum") / Math.max(1, lagCount), 3),
        lagOver1sShare: round(1 - under1 / Math.max(1, lagCount), 3),
        refreshFailures: d("kubelet_sim_token_refresh_failures_total"),
        kubeletSimCpuMsPerRefresh: round(((cpuOf(m1) - cpuOf(m0)) * 1000) / issued),
        apiserverCpuMsPerRefresh: round(((cpuOf(a1) - cpuOf(a0)) * 1000) / issued),
      };
      rotation.push(r);
      log(
        `[load ${load()}] rotation ${seconds} s tokens: needed ${r.requiredPerSecond}/s, achieved ${r.achievedPerSecond}/s (ratio ${round(r.achievedPerSecond / r.requiredPerSecond)}), mean lag ${r.meanLagSeconds} s, ${round(r.lagOver1sShare * 100, 1)} % over 1 s, ${r.refreshFailures} failures; CPU per refresh: kubelet-sim ${r.kubeletSimCpuMsPerRefresh} ms, apiserver ${r.apiserverCpuMsPerRefresh} ms`,
      );
      await deleteAll(stack, ns, names, o.createConcurrency, o.progress);
    }

    // 3. Scale: up to the target across 10 namespaces, in ten steps, each followed by a quiet
    // memory sample; the per-pod memory is the slope over the samples (garbage and the memory
    // kept from earlier phases cancel out).
    let scale: KubeletSimBenchFigures["scale"];
    if (o.scalePods > 0) {
      const namespaces = Array.from({ length: 10 }, (_, i) => `scale-${i}`);
      for (const ns of namespaces) await ensureNamespace(stack.api, ns);
      const items = Array.from({ length: o.scalePods }, (_, i) => ({
        ns: namespaces[i % namespaces.length]!,
        name: `s${i}`,
      }));
      const t0 = performance.now();
      const deadline = Date.now() + o.scaleBudgetSeconds * 1000;
      const samples: Array<{ pods: number; rssMiB: number; heapMiB: number; podsPerSecond: number }> = [];
      const b = bar(o.progress, "scale", items.length);
      let created = 0;
      let running = 0;
      let limitedBy: string | undefined;
      const step = Math.ceil(items.length / 10);
      for (let from = 0; from < items.length; from += step) {
        const s0 = performance.now();
        const chunk = items.slice(from, from + step);
        created += await pool(
          chunk,
          o.createConcurrency,
          async (it) => void (await stack.api.objects.create(podInit(it.ns, it.name))),
          () => b.tick(),
          deadline,
        );
        const reached = await waitRunning(stack, created, s0, "", false, deadline + 120_000);
        running = reached.running;
        if (running < created) {
          limitedBy = `only ${running} of ${created} Running within the budget`;
          break;
        }
        await sleep(5000); // let the process settle (GC) before sampling
        const m = await scrape(ksPort);
        samples.push({
          pods: running,
          rssMiB: round((m.get("process_resident_memory_bytes") ?? 0) / 2 ** 20),
          heapMiB: round((m.get("nodejs_heap_size_used_bytes") ?? 0) / 2 ** 20),
          podsPerSecond: round(chunk.length / reached.seconds),
        });
        if (Date.now() > deadline) {
          if (created < items.length)
            limitedBy = `time budget of ${o.scaleBudgetSeconds} s ran out after ${created} pods`;
          break;
        }
      }
      b.stop();
      const seconds = (performance.now() - t0) / 1000 - 5 * samples.length;
      const api = await scrape(stack.ports.apiserver.metrics);
      const last = samples.at(-1);
      const slope = (pick: (x: (typeof samples)[number]) => number) => {
        if (samples.length < 2) return Number.NaN;
        const mx = samples.reduce((a, x) => a + x.pods, 0) / samples.length;
        const my = samples.reduce((a, x) => a + pick(x), 0) / samples.length;
        const num = samples.reduce((a, x) => a + (x.pods - mx) * (pick(x) - my), 0);
        const den = samples.reduce((a, x) => a + (x.pods - mx) ** 2, 0);
        return (num / den) * 1024; // MiB per pod → KiB per pod
      };
      scale = {
        target: o.scalePods,
        running,
        seconds: round(seconds),
        podsPerSecond: round(running / seconds),
        rssMiB: last?.rssMiB ?? 0,
        heapMiB: last?.heapMiB ?? 0,
        rssKiBPerPod: round(slope((x) => x.rssMiB)),
        heapKiBPerPod: round(slope((x) => x.heapMiB)),
        samples,
        apiserverRssMiB: round((api.get("process_resident_memory_bytes") ?? 0) / 2 ** 20),
        ...(limitedBy === undefined ? {} : { limitedBy }),
      };
      log(
        `[load ${load()}] scale: ${scale.running}/${scale.target} pods Running with tokens on ${o.nodes} nodes after ${scale.seconds} s (${scale.podsPerSecond} pods/s); kubelet-sim RSS ${scale.rssMiB} MiB, heap ${scale.heapMiB} MiB; per pod ${scale.rssKiBPerPod} KiB RSS, ${scale.heapKiBPerPod} KiB heap; apiserver RSS ${scale.apiserverRssMiB} MiB${limitedBy ? `; limited by: ${limitedBy}` : ""}`,
      );
      log(
        `scale samples (pods, RSS MiB, heap MiB, pods/s of the step): ${samples.map((x) => `${x.pods}:${x.rssMiB}:${x.heapMiB}:${x.podsPerSecond}`).join(" ")}`,
      );
    }
    return {
      algorithm,
      nodes: o.nodes,
      nodeRegistrationSeconds: round(stack.nodeRegistrationSeconds),
      burst: {
        pods: o.burstPods,
        seconds: burstSeconds.map((s) => round(s)),
        medianSeconds: round(medianBurst),
        podsPerSecond: round(o.burstPods / medianBurst),
        createSeconds: round(median(createSeconds)),
        meanStartSeconds: round(median(meanStart)),
        kubeletSimCpuMsPerPod: round(median(ksCpu)),
        apiserverCpuMsPerPod: round(median(apiCpu)),
      },
      rotation,
      ...(scale === undefined ? {} : { scale }),
    };
  } catch (err) {
    // A failed phase is reported with what the processes last said: a crash of one of them is
    // the likeliest cause, and its log is gone once the stack is closed.
    const report = [`kubelet-sim bench failed: ${(err as Error).message}`];
    for (const [name, p] of stack.procs) {
      const state = p.running() ? "running" : `exited ${JSON.stringify(await p.exited)}`;
      report.push(`--- ${name} (${state}), last lines:`, ...(stack.tails.get(name) ?? []).slice(-15));
    }
    log(report.join("\n"));
    throw err;
  } finally {
    await stack.close();
  }
}

/** Runs the benchmark for each algorithm and returns the figures (also logged as it goes). */
export async function runKubeletSimBench(
  options: KubeletSimBenchOptions = {},
): Promise<KubeletSimBenchResult> {
  const o: Required<Omit<KubeletSimBenchOptions, "algorithms" | "log">> = {
    nodes: options.nodes ?? 1000,
    burstPods: options.burstPods ?? 10_000,
    burstRuns: options.burstRuns ?? 3,
    scalePods: options.scalePods ?? 100_000,
    rotationPods: options.rotationPods ?? 10_000,
    rotationSeconds: options.rotationSeconds ?? [60, 20],
    rotationWindowSeconds: options.rotationWindowSeconds ?? 120,
    createConcurrency: options.createConcurrency ?? 64,
    scaleBudgetSeconds: options.scaleBudgetSeconds ?? 1800,
    progress: options.progress ?? process.stderr.isTTY === true,
  };
  const log = options.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const runs: KubeletSimBenchFigures[] = [];
  for (const alg of options.algorithms ?? ["ES256", "RS256"]) runs.push(await runOne(alg, o, log));
  if (runs.length === 2) {
    const [a, b] = runs as [KubeletSimBenchFigures, KubeletSimBenchFigures];
    log(
      `\nratios ${a.algorithm}/${b.algorithm}: burst pods/s ${round(a.burst.podsPerSecond / b.burst.podsPerSecond)}` +
        a.rotation
          .map((r, i) => {
            const other = b.rotation[i];
            return other === undefined
              ? ""
              : `, rotation ${r.tokenSeconds} s achieved/s ${round(r.achievedPerSecond / other.achievedPerSecond)}`;
          })
          .join(""),
    );
  }
  return { runs };
}

/** `--name=value` flags of the command line. */
function arg(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)
) {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(`Usage: npx tsx bench/kubelet-sim.ts [flags]

Starts nats-server, apiserver, admission, token-controller and one kubelet-sim, then measures
node registration, pod bursts, steady token rotation and memory per pod (medians and ratios).

Flags (defaults in brackets):
  --nodes=N               simulated nodes [1000]
  --burst=N               pods per burst [10000]
  --runs=N                burst runs; the median is reported [3]
  --pods=N                pods of the scale phase, 0 skips it [100000]
  --rotation-pods=N       pods with short-lived tokens, 0 skips rotation [10000]
  --rotation-seconds=S,S  token lifetimes to measure, seconds [60,20]
  --rotation-window=S     seconds measured once rotation is steady [120]
  --concurrency=N         pod creations in flight [64]
  --budget=S              seconds allowed for the scale phase [1800]
  --alg=ES256,RS256       signing key algorithms [ES256,RS256]
  --json=FILE             also write the figures as JSON
`);
    process.exit(0);
  }
  const num = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)));
  const algs = arg("alg")?.split(",") as Array<"RS256" | "ES256"> | undefined;
  const opts: KubeletSimBenchOptions = Object.fromEntries(
    Object.entries({
      nodes: num("nodes"),
      burstPods: num("burst"),
      burstRuns: num("runs"),
      scalePods: num("pods"),
      rotationPods: num("rotation-pods"),
      rotationSeconds: arg("rotation-seconds")?.split(",").map(Number),
      rotationWindowSeconds: num("rotation-window"),
      createConcurrency: num("concurrency"),
      scaleBudgetSeconds: num("budget"),
      algorithms: algs,
    }).filter(([, v]) => v !== undefined),
  );
  const result = await runKubeletSimBench(opts);
  const out = arg("json");
  if (out !== undefined) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  if (existsSync("/proc/loadavg"))
    process.stdout.write(`load average at the end: ${readFileSync("/proc/loadavg", "utf8").trim()}\n`);
}
