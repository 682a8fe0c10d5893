/**
 * Sign / verify throughput of @tokenplane/crypto against raw node:crypto on one core.
 *
 *   npx tsx packages/crypto/bench/sign-verify.ts [rounds] [durationMs]
 *
 * For RS256 (RSA-2048) and ES256 (P-256) it measures, each as the median ops/s over `rounds`
 * rounds of `durationMs`, API and raw rounds interleaved:
 * - sign: `signToken(key, boundClaims(...))` (claims JSON, base64url, signature) vs node:crypto
 *   `sign()` over the same signing input;
 * - verify: `verifyToken(token, keySet)` (parse, kid lookup, signature) vs node:crypto `verify()`;
 * - authenticate: `createJwtAuthenticator(...).authenticate(token)` with the bound validator and
 *   an in-memory getter (every step of reference §1.4) vs the same raw `verify()`.
 * `runCryptoBench` returns the figures for a top-level `pnpm bench`.
 */
import { sign, verify } from "node:crypto";
import { pathToFileURL } from "node:url";
import {
  boundClaims,
  createBoundValidator,
  createJwtAuthenticator,
  generateSigningKey,
  KeySet,
  randomJti,
  type SigningAlgorithm,
  signToken,
  verifyToken,
} from "../src/index.js";

/** Options of {@link runCryptoBench}. */
export interface CryptoBenchOptions {
  /** Rounds per measurement; the median is reported. Default 5. */
  readonly rounds?: number;
  /** Duration of one round in milliseconds. Default 1000. */
  readonly durationMs?: number;
  /** Algorithms to measure. Default `["RS256", "ES256"]`. */
  readonly algorithms?: readonly SigningAlgorithm[];
}

/** One measured operation. */
export interface CryptoBenchFigure {
  readonly alg: SigningAlgorithm;
  readonly operation: "sign" | "verify" | "authenticate";
  /** Median ops/s through @tokenplane/crypto. */
  readonly apiOpsPerSec: number;
  /** Median ops/s of raw node:crypto doing only the signature operation. */
  readonly rawOpsPerSec: number;
  /** apiOpsPerSec / rawOpsPerSec. */
  readonly ratio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function roundSync(fn: () => unknown, durationMs: number): number {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 16; i++) fn();
    ops += 16;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

async function roundAsync(fn: () => Promise<unknown>, durationMs: number): Promise<number> {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 16; i++) await fn();
    ops += 16;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

const HASH: Record<SigningAlgorithm, string> = {
  RS256: "sha256",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
};

/** Measures sign, verify and authenticate for each algorithm; see the file comment. */
export async function runCryptoBench(options: CryptoBenchOptions = {}): Promise<CryptoBenchFigure[]> {
  const rounds = options.rounds ?? 5;
  const durationMs = options.durationMs ?? 1000;
  const figures: CryptoBenchFigure[] = [];
  for (const alg of options.algorithms ?? (["RS256", "ES256"] as const)) {
    const key = generateSigningKey(alg);
    const keys = new KeySet([generateSigningKey(alg), key]);
    const now = Math.floor(Date.now() / 1000);
    const claims = boundClaims({
      issuer: "https://kubernetes.default.svc.cluster.local",
      audiences: ["https://kubernetes.default.svc.cluster.local"],
      serviceAccount: { namespace: "bench", name: "default", uid: "6f1c1f7e-1b8a-4f5e-9d7c-2b0f7c9b1a11" },
      pod: { name: "bench-pod-0", uid: "0c9a3d1e-5b7f-4a2c-8e6d-1f2a3b4c5d6e" },
      node: { name: "node-0", uid: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" },
      expirationSeconds: 3607,
      now,
      jti: randomJti(),
    });
    const token = signToken(key, claims);
    const signingInput = Buffer.from(token.slice(0, token.lastIndexOf(".")));
    const signature = Buffer.from(token.slice(token.lastIndexOf(".") + 1), "base64url");
    const ec = alg !== "RS256";
    const rawSign = () =>
      ec
        ? sign(HASH[alg], signingInput, { key: key.privateKey, dsaEncoding: "ieee-p1363" })
        : sign(HASH[alg], signingInput, key.privateKey);
    const rawVerify = () =>
      ec
        ? verify(HASH[alg], signingInput, { key: key.publicKey, dsaEncoding: "ieee-p1363" }, signature)
        : verify(HASH[alg], signingInput, key.publicKey, signature);
    const objects = { uid: "6f1c1f7e-1b8a-4f5e-9d7c-2b0f7c9b1a11" };
    const authenticator = createJwtAuthenticator({
      issuers: ["https://kubernetes.default.svc.cluster.local"],
      keys,
      implicitAudiences: ["https://kubernetes.default.svc.cluster.local"],
      validator: createBoundValidator({
        getter: {
          getServiceAccount: () => objects,
          getPod: () => ({ uid: "0c9a3d1e-5b7f-4a2c-8e6d-1f2a3b4c5d6e" }),
          getSecret: () => Promise.reject(new Error("not used")),
          getNode: () => Promise.reject(new Error("not used")),
        },
      }),
    });
    const check = await authenticator.authenticate(token);
    if (!check.ok || !verifyToken(token, keys).ok || !rawVerify())
      throw new Error(`bench setup for ${alg} is broken`);

    const measure = async (
      operation: CryptoBenchFigure["operation"],
      api: () => number | Promise<number>,
      raw: () => number,
    ): Promise<void> => {
      const apiRuns: number[] = [];
      const rawRuns: number[] = [];
      for (let round = 0; round < rounds; round++) {
        apiRuns.push(await api());
        rawRuns.push(raw());
      }
      const apiOpsPerSec = median(apiRuns);
      const rawOpsPerSec = median(rawRuns);
      figures.push({ alg, operation, apiOpsPerSec, rawOpsPerSec, ratio: apiOpsPerSec / rawOpsPerSec });
    };

    await measure(
      "sign",
      () => roundSync(() => signToken(key, claims), durationMs),
      () => roundSync(rawSign, durationMs),
    );
    await measure(
      "verify",
      () => roundSync(() => verifyToken(token, keys), durationMs),
      () => roundSync(rawVerify, durationMs),
    );
    await measure(
      "authenticate",
      () => roundAsync(() => authenticator.authenticate(token), durationMs),
      () => roundSync(rawVerify, durationMs),
    );
  }
  return figures;
}

/** The figures as an aligned text table. */
export function formatCryptoBench(figures: readonly CryptoBenchFigure[]): string {
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const rows = [
    ["alg", "operation", "api ops/s", "raw node:crypto ops/s", "api/raw"],
    ...figures.map((f) => [f.alg, f.operation, fmt(f.apiOpsPerSec), fmt(f.rawOpsPerSec), f.ratio.toFixed(2)]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows
    .map((row) =>
      row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join("  "),
    )
    .join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.argv[2] ?? 5);
  const durationMs = Number(process.argv[3] ?? 1000);
  const figures = await runCryptoBench({ rounds, durationMs });
  process.stdout.write(
    `@tokenplane/crypto sign/verify, median of ${rounds} rounds × ${durationMs} ms, one core, node ${process.version}\n` +
      `${formatCryptoBench(figures)}\n`,
  );
}
