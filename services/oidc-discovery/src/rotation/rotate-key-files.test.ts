import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  generateSigningKey,
  parseKeysPem,
  parseSigningKeyPem,
  privateKeyPem,
  publicKeyPem,
} from "@tokenplane/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocumentStore } from "../documents/document-store.js";
import { OidcDiscoveryError } from "../errors.js";
import { createDiscoveryHandler } from "../http/discovery-handler.js";
import { type HttpsServer, startHttpsServer } from "../http/https-server.js";
import { loadKeyFiles } from "../keys/key-files.js";
import { makeTestPki, type TestPki } from "../testdata/test-pki.js";
import { type RotateKeysOptions, rotateKeys } from "./rotate-key-files.js";

let dir: string;
let pki: TestPki;
let server: HttpsServer;
let store: DocumentStore;
const files = () => ({
  signingKeyFile: join(dir, "sa.key"),
  verificationKeyFile: join(dir, "sa.pub"),
  pendingKeyFile: join(dir, "sa.next.key"),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "oidc-rotate-"));
  pki = await makeTestPki(dir, { server: ["test"] });
  const cert = pki.certs.server;
  if (cert === undefined) throw new Error("no certificate");
  store = new DocumentStore({ issuer: "https://127.0.0.1", jwksUri: "", externalAddress: "127.0.0.1:1" });
  server = await startHttpsServer({
    host: "127.0.0.1",
    port: 0,
    certFile: cert.cert,
    keyFile: cert.key,
    handler: createDiscoveryHandler({ documents: () => store.current() }),
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(command: RotateKeysOptions["command"], extra: Partial<RotateKeysOptions> = {}) {
  const lines: string[] = [];
  const status = await rotateKeys({ command, ...files(), out: (l) => lines.push(l), ...extra });
  return { status, lines };
}

describe("rotateKeys on files", () => {
  it("add, promote, retire: atomic writes with private modes, and a report per step", async () => {
    const old = generateSigningKey("RS256");
    writeFileSync(files().signingKeyFile, privateKeyPem(old), { mode: 0o600 });
    writeFileSync(files().verificationKeyFile, publicKeyPem(old));

    const add = await run("add", { algorithm: "ES256" });
    const pending = parseSigningKeyPem(readFileSync(files().pendingKeyFile));
    expect(statSync(files().pendingKeyFile).mode & 0o777).toBe(0o600);
    expect(parseKeysPem(readFileSync(files().verificationKeyFile)).map((k) => k.kid)).toEqual([
      old.kid,
      pending.kid,
    ]);
    expect(add.lines).toEqual([
      `added key ${pending.kid} to ${files().verificationKeyFile}; pending in ${files().pendingKeyFile}`,
      `signing key:       ${old.kid} (RS256)`,
      `verification key:  ${old.kid} (RS256, signing)`,
      `verification key:  ${pending.kid} (ES256, pending)`,
      `pending key:       ${pending.kid} (ES256)`,
      "next: once relying parties have the new key (the JWKS is cacheable for 1 h), run `pnpm rotate-keys promote`",
    ]);

    const promote = await run("promote");
    expect(existsSync(files().pendingKeyFile)).toBe(false);
    expect(parseSigningKeyPem(readFileSync(files().signingKeyFile)).kid).toBe(pending.kid);
    expect(statSync(files().signingKeyFile).mode & 0o777).toBe(0o600);
    expect(promote.status).toMatchObject({ signing: { kid: pending.kid }, signingVerifies: true });
    expect(promote.lines[0]).toBe(
      `key ${pending.kid} now signs (was ${old.kid}); written to ${files().signingKeyFile}`,
    );

    const retire = await run("retire");
    expect(parseKeysPem(readFileSync(files().verificationKeyFile)).map((k) => k.kid)).toEqual([pending.kid]);
    expect(retire.lines[0]).toBe(`retired ${old.kid} from ${files().verificationKeyFile}`);
    expect(retire.lines.at(-1)).toBe("done: only the signing key verifies now");
    expect(existsSync(`${files().verificationKeyFile}.tmp-${process.pid}`)).toBe(false);

    const status = await run("status");
    expect(status.lines).toEqual([
      `signing key:       ${pending.kid} (ES256)`,
      `verification key:  ${pending.kid} (ES256, signing)`,
    ]);
  });

  it("a refused step changes nothing", async () => {
    const before = readFileSync(files().verificationKeyFile, "utf8");
    await expect(run("retire")).rejects.toThrow(OidcDiscoveryError);
    await expect(run("promote")).rejects.toThrow("no key is pending: run add first");
    expect(readFileSync(files().verificationKeyFile, "utf8")).toBe(before);
  });

  it("--wait-jwks-url waits until the JWKS lists exactly the verification keys", async () => {
    const url = `https://127.0.0.1:${server.port}/openid/v1/jwks`;
    store.update(await loadKeyFiles([files().verificationKeyFile]));
    // Publish the key file 300 ms after the change, as a file watch would.
    const publish = setTimeout(async () => {
      store.update(await loadKeyFiles([files().verificationKeyFile]));
    }, 300);
    const started = Date.now();
    const add = await run("add", { waitJwksUrl: url, ca: pki.caPem, waitTimeoutMs: 10_000 });
    clearTimeout(publish);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(add.lines.at(-2)).toMatch(
      new RegExp(`^${url} publishes exactly the verification keys \\(after \\d+ ms\\)$`),
    );
    expect(store.current()?.kids).toHaveLength(2);
  });

  it("--wait-jwks-url gives up after the timeout with what it saw", async () => {
    const url = `https://127.0.0.1:${server.port}/openid/v1/jwks`;
    const kids = store.current()?.kids.join(",");
    await run("promote");
    await expect(run("retire", { waitJwksUrl: url, ca: pki.caPem, waitTimeoutMs: 300 })).rejects.toThrow(
      `${url} did not publish the verification keys in time: it lists ${[...new Set(kids?.split(","))].sort().join(",")}`,
    );
  });
});
