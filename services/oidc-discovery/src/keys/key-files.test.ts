import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKey, privateKeyPem, publicKeyPem, type VerificationKey } from "@tokenplane/crypto";
import { FakeClock } from "@tokenplane/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { OidcDiscoveryError } from "../errors.js";
import { EC_KID, RSA_KID, referenceKeysPem } from "../testdata/reference-vectors.js";
import { testLogger } from "../testdata/test-logger.js";
import { type KeyFileSystem, loadKeyFiles, watchKeyFiles } from "./key-files.js";

const dir = mkdtempSync(join(tmpdir(), "oidc-key-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { log } = testLogger();

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function errorOf(files: string[]): Promise<[string, string]> {
  try {
    await loadKeyFiles(files);
  } catch (err) {
    if (err instanceof OidcDiscoveryError) return [err.code, err.message];
    throw err;
  }
  throw new Error("expected an error");
}

describe("loadKeyFiles (reference §1.3)", () => {
  it("reads every key of every file, in order", async () => {
    const a = generateSigningKey("ES256");
    const b = generateSigningKey("RS256");
    const files = [
      file("ref.pem", referenceKeysPem()),
      file("a.key", privateKeyPem(a)),
      file("b.pub", publicKeyPem(b)),
    ];
    const keys = await loadKeyFiles(files);
    expect(keys.map((k) => k.kid)).toEqual([RSA_KID, EC_KID, a.kid, b.kid]);
    expect(keys.map((k) => k.alg)).toEqual(["RS256", "ES256", "ES256", "RS256"]);
    // Only public halves are kept.
    expect(keys.every((k) => !("privateKey" in k))).toBe(true);
  });

  it("a missing file: Go's os.ReadFile text", async () => {
    const missing = join(dir, "missing.pem");
    expect(await errorOf([missing])).toEqual(["ERR_KEY_FILE", `open ${missing}: no such file or directory`]);
  });

  it("a file without keys: keyutil's text", async () => {
    const empty = file("empty.pem", "not a key\n");
    expect(await errorOf([empty])).toEqual([
      "ERR_KEY_FILE",
      `error reading public key file ${empty}: data does not contain any valid RSA or ECDSA public keys`,
    ]);
  });
});

describe("watchKeyFiles", () => {
  // A file system in memory whose fingerprint is a version counter.
  function memoryFs(initial: Record<string, string>) {
    const files = new Map(Object.entries(initial));
    const versions = new Map<string, number>();
    const fs: KeyFileSystem = {
      readFile: async (path) => {
        const text = files.get(path);
        if (text === undefined) throw Object.assign(new Error("gone"), { code: "ENOENT" });
        return Buffer.from(text);
      },
      fingerprint: async (path) => String(versions.get(path) ?? 0),
    };
    const write = (path: string, text: string) => {
      files.set(path, text);
      versions.set(path, (versions.get(path) ?? 0) + 1);
    };
    return { fs, write };
  }

  it("re-reads when a file changes, and only then", async () => {
    const old = generateSigningKey("RS256");
    const next = generateSigningKey("ES256");
    const mem = memoryFs({ "/sa.pub": publicKeyPem(old) });
    const clock = new FakeClock();
    const loads: string[][] = [];
    const watch = watchKeyFiles({
      files: ["/sa.pub"],
      onKeys: (keys: VerificationKey[]) => loads.push(keys.map((k) => k.kid)),
      intervalMs: 5_000,
      clock,
      log,
      fs: mem.fs,
    });
    await clock.advance(5_000);
    await clock.advance(5_000);
    expect(loads).toEqual([]);

    mem.write("/sa.pub", publicKeyPem(old) + publicKeyPem(next));
    await clock.advance(4_999);
    expect(loads).toEqual([]);
    await clock.advance(1);
    await new Promise((r) => setImmediate(r));
    expect(loads).toEqual([[old.kid, next.kid]]);

    await clock.advance(5_000);
    expect(loads).toHaveLength(1);
    await watch.stop();
  });

  it("keeps the published keys when a changed file does not parse, and recovers", async () => {
    const key = generateSigningKey("RS256");
    const mem = memoryFs({ "/sa.pub": publicKeyPem(key) });
    const clock = new FakeClock();
    const loads: string[][] = [];
    const watch = watchKeyFiles({
      files: ["/sa.pub"],
      onKeys: (keys) => loads.push(keys.map((k) => k.kid)),
      intervalMs: 1_000,
      clock,
      log,
      fs: mem.fs,
    });
    await new Promise((r) => setImmediate(r));
    mem.write("/sa.pub", "-----BEGIN PUBLIC KEY-----\ntruncat");
    await clock.advance(1_000);
    await new Promise((r) => setImmediate(r));
    expect(loads).toEqual([]);
    mem.write("/sa.pub", publicKeyPem(key));
    await clock.advance(1_000);
    await new Promise((r) => setImmediate(r));
    expect(loads).toEqual([[key.kid]]);
    await watch.stop();
  });

  it("reload() re-reads at once (SIGHUP) and reports failure", async () => {
    const key = generateSigningKey("ES256");
    const mem = memoryFs({ "/k.pem": publicKeyPem(key) });
    const loads: string[][] = [];
    const watch = watchKeyFiles({
      files: ["/k.pem"],
      onKeys: (keys) => loads.push(keys.map((k) => k.kid)),
      intervalMs: 60_000,
      clock: new FakeClock(),
      log,
      fs: mem.fs,
    });
    expect(await watch.reload("SIGHUP")).toBe(true);
    expect(loads).toEqual([[key.kid]]);
    mem.write("/k.pem", "");
    expect(await watch.reload("SIGHUP")).toBe(false);
    expect(loads).toHaveLength(1);
    await watch.stop();
  });

  it("sees a file replaced by rename on the real file system", async () => {
    const a = generateSigningKey("RS256");
    const b = generateSigningKey("RS256");
    const path = file("renamed.pub", publicKeyPem(a));
    const clock = new FakeClock();
    const loads: string[][] = [];
    const watch = watchKeyFiles({
      files: [path],
      onKeys: (keys) => loads.push(keys.map((k) => k.kid)),
      intervalMs: 100,
      clock,
      log,
    });
    await new Promise((r) => setTimeout(r, 20));
    const tmp = file("renamed.pub.tmp", publicKeyPem(a) + publicKeyPem(b));
    renameSync(tmp, path);
    await clock.advance(100);
    for (let i = 0; i < 50 && loads.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(loads).toEqual([[a.kid, b.kid]]);
    await watch.stop();
  });
});
