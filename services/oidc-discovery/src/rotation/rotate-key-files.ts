/**
 * The key-rotation command's I/O (`pnpm rotate-keys`, scripts/rotate-keys.ts): read the key
 * files, apply one planned step (key-rotation.ts) with atomic writes (temp file + rename, so the
 * apiserver's and this service's file watches never read half a file), and optionally wait until
 * a JWKS URL publishes the resulting verification keys.
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import type { SigningAlgorithm } from "@tokenplane/crypto";
import { OidcDiscoveryError } from "../errors.js";
import {
  type KeyFileChanges,
  type KeyFiles,
  type KeyStatus,
  keyStatus,
  planAdd,
  planPromote,
  planRetire,
  type RotationPlan,
} from "./key-rotation.js";

/** The steps of a rotation, and `status`. */
export const ROTATION_COMMANDS = ["add", "promote", "retire", "status"] as const;
/** One of {@link ROTATION_COMMANDS}. */
export type RotationCommand = (typeof ROTATION_COMMANDS)[number];

/** Options of {@link rotateKeys}. */
export interface RotateKeysOptions {
  readonly command: RotationCommand;
  /** The apiserver's `--service-account-signing-key-file` (and token-controller's private key). */
  readonly signingKeyFile: string;
  /** The apiserver's `--service-account-key-file`. */
  readonly verificationKeyFile: string;
  /** Where `add` parks the new private key until `promote`. */
  readonly pendingKeyFile: string;
  /** Algorithm of the key `add` makes; default the signing key's. */
  readonly algorithm?: SigningAlgorithm;
  /** After the change, wait until this JWKS lists exactly the new verification keys. */
  readonly waitJwksUrl?: string;
  /** CA bundle (PEM text) trusted for `waitJwksUrl`. */
  readonly ca?: string;
  /** How long to wait for the JWKS, milliseconds; default 60000. */
  readonly waitTimeoutMs?: number;
  /** Where the human-readable report goes (one line per call). */
  readonly out: (line: string) => void;
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

async function readKeyFiles(o: RotateKeysOptions): Promise<KeyFiles> {
  const [signingKey, verificationKeys, pendingKey] = await Promise.all([
    readFile(o.signingKeyFile, "utf8"),
    readFile(o.verificationKeyFile, "utf8"),
    readIfPresent(o.pendingKeyFile),
  ]);
  return { signingKey, verificationKeys, ...(pendingKey === undefined ? {} : { pendingKey }) };
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, path);
}

// Order matters for a crash in between: the verification keys grow before anything signs with
// a new key, and the pending file goes only after the signing key was replaced.
async function apply(o: RotateKeysOptions, changes: KeyFileChanges): Promise<void> {
  if (typeof changes.pendingKey === "string") await writeAtomic(o.pendingKeyFile, changes.pendingKey, 0o600);
  if (changes.verificationKeys !== undefined)
    await writeAtomic(o.verificationKeyFile, changes.verificationKeys, 0o644);
  if (changes.signingKey !== undefined) await writeAtomic(o.signingKeyFile, changes.signingKey, 0o600);
  if (changes.pendingKey === null) await rm(o.pendingKeyFile, { force: true });
}

function report(o: RotateKeysOptions, status: KeyStatus): void {
  o.out(`signing key:       ${status.signing.kid} (${status.signing.alg})`);
  for (const key of status.verification) {
    const role =
      key.kid === status.signing.kid ? "signing" : key.kid === status.pending?.kid ? "pending" : "old";
    o.out(`verification key:  ${key.kid} (${key.alg}, ${role})`);
  }
  if (status.pending !== undefined) o.out(`pending key:       ${status.pending.kid} (${status.pending.alg})`);
  if (!status.signingVerifies)
    o.out("WARNING: the signing key is not a verification key: its tokens do not verify");
}

const NEXT: Record<Exclude<RotationCommand, "status">, string> = {
  add: "next: once relying parties have the new key (the JWKS is cacheable for 1 h), run `pnpm rotate-keys promote`",
  promote:
    "next: once every token of the old key has expired (bound tokens: their expirationSeconds, up to 1 year with the 3607 s extension), run `pnpm rotate-keys retire`",
  retire: "done: only the signing key verifies now",
};

/** The kids a JWKS URL publishes (trusting `ca`). */
export function fetchJwksKids(url: string, ca: string | undefined): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(ca === undefined ? {} : { ca }), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
          return;
        }
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { keys?: { kid?: unknown }[] };
          resolve((body.keys ?? []).map((k) => String(k.kid)));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}

async function waitForJwks(o: RotateKeysOptions, url: string, kids: readonly string[]): Promise<void> {
  const want = [...new Set(kids)].sort().join(",");
  const started = Date.now();
  const deadline = started + (o.waitTimeoutMs ?? 60_000);
  let last = "";
  for (;;) {
    try {
      const got = [...new Set(await fetchJwksKids(url, o.ca))].sort().join(",");
      if (got === want) {
        o.out(`${url} publishes exactly the verification keys (after ${Date.now() - started} ms)`);
        return;
      }
      last = `it lists ${got || "no keys"}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new OidcDiscoveryError(
        "ERR_KEY_FILE",
        `${url} did not publish the verification keys in time: ${last}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Runs one command: `status` reports; `add`, `promote`, `retire` plan, write, report, and (with
 * `waitJwksUrl`) wait for the JWKS. Resolves with the resulting status; throws
 * {@link OidcDiscoveryError} for a refused step and the crypto errors of unreadable keys.
 */
export async function rotateKeys(o: RotateKeysOptions): Promise<KeyStatus> {
  const files = await readKeyFiles(o);
  if (o.command === "status") {
    const status = keyStatus(files);
    report(o, status);
    return status;
  }
  let plan: RotationPlan;
  switch (o.command) {
    case "add":
      plan = planAdd(files, o.algorithm);
      o.out(
        `added key ${plan.after.pending?.kid} to ${o.verificationKeyFile}; pending in ${o.pendingKeyFile}`,
      );
      break;
    case "promote":
      plan = planPromote(files);
      o.out(
        `key ${plan.after.signing.kid} now signs (was ${plan.before.signing.kid}); written to ${o.signingKeyFile}`,
      );
      break;
    case "retire": {
      plan = planRetire(files);
      const kept = new Set(plan.after.verification.map((k) => k.kid));
      const gone = plan.before.verification.filter((k) => !kept.has(k.kid)).map((k) => k.kid);
      o.out(`retired ${gone.join(", ")} from ${o.verificationKeyFile}`);
      break;
    }
  }
  await apply(o, plan.changes);
  report(o, plan.after);
  if (o.waitJwksUrl !== undefined && o.waitJwksUrl !== "") {
    await waitForJwks(
      o,
      o.waitJwksUrl,
      plan.after.verification.map((k) => k.kid),
    );
  }
  o.out(NEXT[o.command]);
  return plan.after;
}
