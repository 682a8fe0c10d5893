/**
 * `pnpm bench`: every benchmark of the project, one after the other, each printing its medians
 * and ratios as it finishes. Performance targets live here, never in timed tests (these machines
 * are shared and noisy: compare figures of one run with each other, not across runs).
 *
 *   crypto         @tokenplane/crypto sign/verify against raw node:crypto (packages/crypto/bench)
 *   storage        apiserver stores: file (fsync, group commit) and memory (services/apiserver/bench)
 *   token-request  TokenRequest issuance in the apiserver's registry, RS256 and ES256
 *   kubelet-sim    real processes: node registration, pod bursts, token rotation, memory per pod
 *
 * Usage: pnpm bench [--only=crypto,storage,token-request,kubelet-sim] [--quick] [--help]
 * `--quick` shrinks every benchmark (fewer rounds, 100 nodes, 1,000-pod bursts, no 100k scale
 * phase) to check that they run; its figures are noisier.
 */

import { formatStorageBench, runStorageBench } from "@tokenplane/apiserver/bench/storage";
import { formatTokenRequestBench, runTokenRequestBench } from "@tokenplane/apiserver/bench/token-request";
import { formatCryptoBench, runCryptoBench } from "@tokenplane/crypto/bench";
import { type KubeletSimBenchOptions, runKubeletSimBench } from "./kubelet-sim.js";

const BENCHES = ["crypto", "storage", "token-request", "kubelet-sim"] as const;
type Bench = (typeof BENCHES)[number];

const HELP = `Usage: pnpm bench [--only=NAMES] [--quick]

Runs the benchmarks and prints medians and ratios.

Options:
  --only=NAMES  comma-separated subset of: ${BENCHES.join(", ")} (default: all)
  --quick       small sizes and few rounds: checks that the benchmarks run (noisier figures)
  --help        show this help

The kubelet-sim benchmark alone takes about 30 to 60 minutes at full size (1,000 nodes,
three 10,000-pod bursts, 100,000 pods, two rotation windows, for ES256 and RS256); run it on
its own with more options: npx tsx bench/kubelet-sim.ts --help`;

function parse(argv: readonly string[]): { only: Set<Bench>; quick: boolean } | string {
  let only = new Set<Bench>(BENCHES);
  let quick = false;
  for (const a of argv) {
    if (a === "--help" || a === "-h") return HELP;
    if (a === "--quick") quick = true;
    else if (a.startsWith("--only=")) {
      const names = a.slice("--only=".length).split(",").filter(Boolean);
      const unknown = names.filter((n) => !(BENCHES as readonly string[]).includes(n));
      if (unknown.length > 0 || names.length === 0) {
        throw new Error(
          `--only: unknown benchmark ${JSON.stringify(unknown.join(","))}; valid: ${BENCHES.join(", ")}`,
        );
      }
      only = new Set(names as Bench[]);
    } else throw new Error(`unknown flag ${JSON.stringify(a)}; see --help`);
  }
  return { only, quick };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (typeof parsed === "string") {
    process.stdout.write(`${parsed}\n`);
    return;
  }
  const { only, quick } = parsed;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const started = Date.now();
  out(
    `tokenplane benchmarks${quick ? " (--quick)" : ""}: node ${process.version}, ${new Date().toISOString()}`,
  );
  if (only.has("crypto")) {
    const rounds = quick ? 3 : 5;
    const durationMs = quick ? 300 : 1000;
    out(`\n== crypto: median of ${rounds} rounds × ${durationMs} ms, one core ==`);
    out(formatCryptoBench(await runCryptoBench({ rounds, durationMs })));
  }
  if (only.has("storage")) {
    const trials = quick ? 3 : 5;
    out("\n== storage ==");
    const r = await runStorageBench(
      quick ? { trials, sequentialWrites: 200, concurrentWrites: 3200, memoryWrites: 20_000 } : { trials },
    );
    out(formatStorageBench(r, trials));
  }
  if (only.has("token-request")) {
    const trials = quick ? 3 : 5;
    out("\n== token-request ==");
    const figures = await runTokenRequestBench(
      quick ? { trials, rsaRequests: 100, ecRequests: 500 } : { trials },
    );
    out(formatTokenRequestBench(figures, trials));
  }
  if (only.has("kubelet-sim")) {
    out("\n== kubelet-sim ==");
    const options: KubeletSimBenchOptions = quick
      ? {
          nodes: 100,
          burstPods: 1000,
          burstRuns: 1,
          scalePods: 0,
          rotationPods: 500,
          rotationSeconds: [20],
          rotationWindowSeconds: 20,
          log: out,
        }
      : { log: out };
    await runKubeletSimBench(options);
  }
  out(`\nall benchmarks done in ${Math.round((Date.now() - started) / 1000)} s`);
}

await main();
