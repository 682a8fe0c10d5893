/**
 * TokenRequest throughput: tokens per second through `createToken` (ServiceAccount and Pod
 * lookups in the registry over the memory store, validation, claims, one signature), for RS256
 * (RSA-2048) and ES256, next to raw `signToken` of the same claims — the ratio shows what the
 * request handling costs on top of the signature. With the memory store nothing in a request waits
 * on I/O, so one request's wall time in the sequential run bounds the time it holds the event loop;
 * its median and maximum are reported next to the time of one signature (a request signs once and
 * does no other synchronous work of any length).
 *
 * Run: `node --import tsx services/apiserver/bench/token-request.ts` (from the repository root).
 * `runTokenRequestBench()` returns the same figures.
 */
import { pathToFileURL } from "node:url";
import { create } from "@bufbuild/protobuf";
import { resourceFor } from "@tokenplane/apimachinery";
import { boundClaims, generateSigningKey, type SigningAlgorithm, signToken } from "@tokenplane/crypto";
import { authnv1, corev1 } from "@tokenplane/proto";
import { createLogger, systemClock } from "@tokenplane/runtime";
import { createRegistry } from "../src/registry/store.js";
import { systemContext } from "../src/request/context.js";
import { createMemoryStore } from "../src/storage/memory-store.js";
import { createTokenRequestHandler } from "../src/tokens/token-request.js";
import { median } from "./median.js";

/** Options of {@link runTokenRequestBench}. */
export interface TokenRequestBenchOptions {
  /** Trials per figure; the median is reported (default 5). */
  readonly trials?: number;
  /** Requests per RS256 trial (default 500). */
  readonly rsaRequests?: number;
  /** Requests per ES256 trial (default 3000). */
  readonly ecRequests?: number;
  /** Requests in flight in the concurrent run (default 64). */
  readonly concurrency?: number;
}

/** Median figures for one algorithm. */
export interface AlgorithmFigures {
  readonly alg: SigningAlgorithm;
  /** `createToken`, one request awaited after the other (tokens/s). */
  readonly sequentialPerSec: number;
  /** `createToken`, `concurrency` requests in flight (tokens/s). */
  readonly concurrentPerSec: number;
  /** Raw `signToken` of the same claims (signatures/s). */
  readonly rawSignPerSec: number;
  /** sequential / raw. */
  readonly overRaw: number;
  /** Median wall time of one sequential request (ms): an upper bound on its event-loop hold. */
  readonly requestP50Ms: number;
  /** 99th percentile of the same (ms). */
  readonly requestP99Ms: number;
  /** Mean time of one raw signature (ms), for comparison with the stall. */
  readonly signatureMs: number;
}

/** Runs the benchmark for RS256 and ES256. */
export async function runTokenRequestBench(
  options: TokenRequestBenchOptions = {},
): Promise<AlgorithmFigures[]> {
  const trials = options.trials ?? 5;
  const concurrency = options.concurrency ?? 64;
  const registry = createRegistry({
    storage: createMemoryStore(),
    clock: systemClock,
    log: createLogger({ service: "bench", level: "silent" }),
  });
  const ctx = systemContext();
  const ns = resourceFor("", "namespaces")!;
  await registry.create(ctx, ns, "", create(corev1.NamespaceSchema, { metadata: { name: "bench" } }));
  const sa = await registry.create(
    ctx,
    resourceFor("", "serviceaccounts")!,
    "bench",
    create(corev1.ServiceAccountSchema, { metadata: { name: "worker" } }),
  );
  const pod = await registry.create(
    ctx,
    resourceFor("", "pods")!,
    "bench",
    create(corev1.PodSchema, {
      metadata: { name: "worker-0" },
      spec: { serviceAccountName: "worker", containers: [{ name: "c", image: "busybox:1.36" }] },
    }),
  );
  // The kubelet's request: pod-bound, 3607 s, API audiences (extended to a year).
  const request = create(authnv1.TokenRequestSchema, {
    spec: {
      expirationSeconds: 3607n,
      boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "worker-0" },
    },
  });

  const out: AlgorithmFigures[] = [];
  for (const [alg, n] of [
    ["RS256", options.rsaRequests ?? 500],
    ["ES256", options.ecRequests ?? 3000],
  ] as const) {
    const key = generateSigningKey(alg);
    const handler = createTokenRequestHandler({
      registry,
      signingKey: key,
      issuer: "https://kubernetes.default.svc.cluster.local",
      apiAudiences: ["https://kubernetes.default.svc.cluster.local"],
      clock: systemClock,
    });
    const mint = () => handler.createToken(systemContext(), "bench", "worker", request);
    const claims = boundClaims({
      issuer: "https://kubernetes.default.svc.cluster.local",
      audiences: ["https://kubernetes.default.svc.cluster.local"],
      serviceAccount: { namespace: "bench", name: "worker", uid: sa.metadata?.uid ?? "" },
      pod: { name: "worker-0", uid: pod.metadata?.uid ?? "" },
      expirationSeconds: 31536000,
      warnafterSeconds: 3607,
      now: Date.now() / 1000,
      jti: "0b0f6a3e-7c55-4a53-9d3e-2b7f1c1d2e3f",
    });
    await mint(); // warm-up

    const sequential: number[] = [];
    const concurrent: number[] = [];
    const raw: number[] = [];
    const latencies: number[] = [];
    for (let t = 0; t < trials; t++) {
      sequential.push(
        await rate(n, async (count) => {
          for (let i = 0; i < count; i++) {
            const started = performance.now();
            await mint();
            latencies.push(performance.now() - started);
          }
        }),
      );
      concurrent.push(
        await rate(n, async (count) => {
          let next = 0;
          const worker = async () => {
            while (next++ < count) await mint();
          };
          await Promise.all(Array.from({ length: concurrency }, worker));
        }),
      );
      raw.push(
        await rate(n, async (count) => {
          for (let i = 0; i < count; i++) signToken(key, claims);
        }),
      );
    }
    const sequentialPerSec = median(sequential);
    const rawSignPerSec = median(raw);
    out.push({
      alg,
      sequentialPerSec,
      concurrentPerSec: median(concurrent),
      rawSignPerSec,
      overRaw: sequentialPerSec / rawSignPerSec,
      requestP50Ms: percentile(latencies, 0.5),
      requestP99Ms: percentile(latencies, 0.99),
      signatureMs: 1000 / rawSignPerSec,
    });
  }
  return out;
}

async function rate(n: number, run: (n: number) => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await run(n);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

/** The figures as an aligned text table. */
export function formatTokenRequestBench(figures: readonly AlgorithmFigures[], trials = 5): string {
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(8);
  const lines = [`TokenRequest tokens/s (median of ${trials} trials; pod-bound, 3607 s, memory store)`];
  lines.push(
    "  alg    createToken seq  createToken 64  raw signToken  seq/raw  request p50/p99 ms  one signature ms",
  );
  for (const f of figures) {
    lines.push(
      `  ${f.alg}  ${fmt(f.sequentialPerSec)}         ${fmt(f.concurrentPerSec)}        ${fmt(f.rawSignPerSec)}     ${f.overRaw.toFixed(2)}     ${f.requestP50Ms.toFixed(2)} / ${f.requestP99Ms.toFixed(2)}         ${f.signatureMs.toFixed(2)}`,
    );
  }
  return lines.join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${formatTokenRequestBench(await runTokenRequestBench())}\n`);
}
