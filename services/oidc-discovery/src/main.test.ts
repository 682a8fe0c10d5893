/**
 * The real service process (main.ts through runService): start-up refusals with Kubernetes'
 * texts, standalone mode with the reference keys over HTTPS, key reload on file change and on
 * SIGHUP. Apiserver mode is in main-apiserver-mode.test.ts.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKey, publicKeyPem } from "@tokenplane/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EC_KID,
  REFERENCE_DISCOVERY,
  REFERENCE_JWKS,
  RSA_KID,
  referenceKeysPem,
} from "./testdata/reference-vectors.js";
import { eventually, httpsGet, runService, type ServiceRun } from "./testdata/service-process.js";
import { makeTestPki, type TestPki } from "./testdata/test-pki.js";

let dir: string;
let pki: TestPki;
let tlsArgs: string[];
let referenceFile: string;
const runs: ServiceRun[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "oidc-discovery-main-"));
  pki = await makeTestPki(dir, { "oidc-discovery": ["system:oidc-discovery"] });
  const own = pki.certs["oidc-discovery"];
  if (own === undefined) throw new Error("no certificate");
  tlsArgs = [
    `--tls-cert-file=${own.cert}`,
    `--tls-private-key-file=${own.key}`,
    `--client-ca-file=${pki.caFile}`,
    "--grpc-port=0",
    "--metrics-port=0",
    "--secure-port=0",
    "--nats-url=nats://127.0.0.1:1",
  ];
  referenceFile = join(dir, "reference.pub");
  writeFileSync(referenceFile, referenceKeysPem());
});
afterAll(async () => {
  await Promise.all(runs.map((r) => r.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[]): ServiceRun {
  const run = runService([...tlsArgs, ...args]);
  runs.push(run);
  return run;
}

/** The HTTPS base URL and metrics port, from the "serving" log lines. */
async function addresses(run: ServiceRun): Promise<{ base: string; metricsPort: number }> {
  const oidc = await run.waitFor((l) => l.msg === "serving OIDC discovery");
  const serving = await run.waitFor((l) => l.msg === "serving");
  return { base: `https://${String(oidc.httpsAddress)}`, metricsPort: Number(serving.metricsPort) };
}

describe("start-up refusals (reference §1.3, §6.1, §11.16)", () => {
  const issuer = "--service-account-issuer=https://issuer.example.com";
  it.each<[string, string[], string]>([
    ["no issuer", [], "service-account-issuer is a required flag"],
    [
      "an empty issuer",
      ["--service-account-issuer="],
      "service-account-issuer should not be an empty string",
    ],
    [
      "an issuer that is not a URL",
      ["--service-account-issuer=https://host:port"],
      'service-account-issuer "https://host:port" contained a \':\' but was not a valid URL: parse "https://host:port": invalid port ":port" after host',
    ],
    [
      "a repeated issuer",
      [issuer, issuer],
      'service-account-issuer "https://issuer.example.com" is already specified',
    ],
    [
      "an http issuer",
      ["--service-account-issuer=http://issuer.example.com"],
      "issuer URL must use https scheme, got: http://issuer.example.com",
    ],
    [
      "an issuer with a query",
      ["--service-account-issuer=https://issuer.example.com?foo=bar"],
      "issuer URL may not include a query, got: https://issuer.example.com?foo=bar",
    ],
    [
      "an issuer with a fragment",
      ["--service-account-issuer=https://issuer.example.com#baz"],
      "issuer URL may not include a fragment, got: https://issuer.example.com#baz",
    ],
    [
      "an http jwks-uri",
      [issuer, "--service-account-jwks-uri=http://issuer.example.com/openid/v1/jwks"],
      "service-account-jwks-uri requires https scheme, parsed as: http://issuer.example.com/openid/v1/jwks",
    ],
    [
      "a jwks-uri that does not parse",
      [issuer, "--service-account-jwks-uri=https://h:port/jwks"],
      'service-account-jwks-uri must be a valid URL: parse "https://h:port/jwks": invalid port ":port" after host',
    ],
    [
      "an external host name with a scheme",
      [issuer, "--external-hostname=https://192.0.2.1"],
      // net.JoinHostPort brackets a host containing ':', as kube-apiserver's external address.
      "attempted to build jwks_uri from external address [https://192.0.2.1]:0, but could not construct a valid URL. " +
        'Error: parse "https://[https:%2F%2F192.0.2.1]:0/openid/v1/jwks": invalid URL escape "%2F"',
    ],
  ])("%s: exit 1 with the Kubernetes text", { concurrent: true }, async (_name, args, message) => {
    const run = start([...args, `--service-account-key-file=${referenceFile}`]);
    expect(await run.exited).toBe(1);
    const failed = run.lines.find((l) => l.msg === "start-up failed");
    expect(failed).toMatchObject({ level: 50, err: { message } });
    expect(run.lines.some((l) => l.msg === "serving OIDC discovery")).toBe(false);
  });

  it("a missing key file: exit 1 with Go's read error", { concurrent: true }, async () => {
    const missing = join(dir, "missing.pub");
    const run = start([issuer, `--service-account-key-file=${missing}`]);
    expect(await run.exited).toBe(1);
    expect(run.lines.find((l) => l.msg === "start-up failed")).toMatchObject({
      err: { message: `open ${missing}: no such file or directory` },
    });
  });

  it("an unknown flag: exit 2 with usage on stderr", { concurrent: true }, async () => {
    const run = start(["--service-account-issuer-typo=x"]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toBe(
      "oidc-discovery: unknown flag: --service-account-issuer-typo\nRun 'oidc-discovery --help' for usage.\n",
    );
  });
});

describe("standalone mode with the reference keys", () => {
  let run: ServiceRun;
  let base: string;
  beforeAll(async () => {
    run = start([
      "--service-account-issuer=https://issuer.example.com",
      "--service-account-jwks-uri=https://issuer.example.com/openid/v1/jwks",
      `--service-account-key-file=${referenceFile}`,
    ]);
    ({ base } = await addresses(run));
  });

  it("serves openidmetadata_test.go's documents byte for byte, with Kubernetes' headers", async () => {
    const config = await httpsGet(`${base}/.well-known/openid-configuration`, pki.caPem);
    expect(config.status).toBe(200);
    expect(config.body).toBe(REFERENCE_DISCOVERY);
    expect(config.headers["content-type"]).toBe("application/json");
    expect(config.headers["cache-control"]).toBe("public, max-age=3600");
    const jwks = await httpsGet(`${base}/openid/v1/jwks?unused=1`, pki.caPem);
    expect(jwks.status).toBe(200);
    expect(jwks.body).toBe(REFERENCE_JWKS);
    expect(jwks.headers["content-type"]).toBe("application/jwk-set+json");
    expect(jwks.headers["cache-control"]).toBe("public, max-age=3600");
  });

  it("HEAD, conditional GET and exact paths over HTTPS", async () => {
    const jwks = await httpsGet(`${base}/openid/v1/jwks`, pki.caPem);
    const etag = String(jwks.headers.etag);
    const head = await httpsGet(`${base}/openid/v1/jwks`, pki.caPem, { method: "HEAD" });
    expect([head.status, head.body, head.headers.etag]).toEqual([200, "", etag]);
    const again = await httpsGet(`${base}/openid/v1/jwks`, pki.caPem, { headers: { "If-None-Match": etag } });
    expect([again.status, again.body]).toEqual([304, ""]);
    expect((await httpsGet(`${base}/.well-known`, pki.caPem)).status).toBe(404);
    expect((await httpsGet(`${base}/openid/v1/jwks/foo`, pki.caPem)).status).toBe(404);
  });

  it("needs no client certificate and logs the kids it publishes", async () => {
    const published = await run.waitFor((l) => l.msg === "publishing the service-account keys");
    expect(published).toMatchObject({ kids: [RSA_KID, EC_KID], source: "key files" });
  });
});

describe("standalone mode: key rotation without a restart", () => {
  it("defaults jwks_uri to this service and re-reads a changed key file", async () => {
    const file = join(dir, "rotating.pub");
    const old = generateSigningKey("RS256");
    const next = generateSigningKey("ES256");
    writeFileSync(file, publicKeyPem(old));
    const run = start([
      "--service-account-issuer=https://127.0.0.1",
      `--service-account-key-file=${file}`,
      "--key-file-check-interval=100ms",
    ]);
    const { base, metricsPort } = await addresses(run);
    await eventually(async () => (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status === 200);

    const config = JSON.parse((await httpsGet(`${base}/.well-known/openid-configuration`, pki.caPem)).body);
    expect(config.jwks_uri).toBe(`${base}/openid/v1/jwks`);
    expect(config.id_token_signing_alg_values_supported).toEqual(["RS256"]);
    const kids = async () =>
      (JSON.parse((await httpsGet(`${base}/openid/v1/jwks`, pki.caPem)).body).keys as { kid: string }[]).map(
        (k) => k.kid,
      );
    expect(await kids()).toEqual([old.kid]);

    // Step 1 of a rotation: the new key joins (written to a temp file and renamed over, as the
    // rotation command does).
    writeFileSync(`${file}.tmp`, publicKeyPem(old) + publicKeyPem(next));
    renameSync(`${file}.tmp`, file);
    await eventually(async () => (await kids()).length === 2, 10_000, "both keys published");
    expect(await kids()).toEqual([old.kid, next.kid]);
    const both = JSON.parse((await httpsGet(`${base}/.well-known/openid-configuration`, pki.caPem)).body);
    expect(both.id_token_signing_alg_values_supported).toEqual(["ES256", "RS256"]);

    // A half-written file keeps the published keys.
    writeFileSync(file, "-----BEGIN PUBLIC KEY-----\nMIIB");
    await run.waitFor((l) => l.msg === "key files could not be re-read; keeping the keys published so far");
    expect(await kids()).toEqual([old.kid, next.kid]);

    // Last step: the old key leaves.
    writeFileSync(file, publicKeyPem(next));
    await eventually(async () => (await kids()).length === 1, 10_000, "old key removed");
    expect(await kids()).toEqual([next.kid]);
  });

  it("re-reads the key files on SIGHUP", async () => {
    const file = join(dir, "hup.pub");
    const a = generateSigningKey("ES256");
    const b = generateSigningKey("ES384");
    writeFileSync(file, publicKeyPem(a));
    const run = start([
      "--service-account-issuer=https://127.0.0.1",
      `--service-account-key-file=${file}`,
      "--key-file-check-interval=1h",
    ]);
    const { base } = await addresses(run);
    const jwks = async () =>
      JSON.parse((await httpsGet(`${base}/openid/v1/jwks`, pki.caPem)).body) as { keys: { kid: string }[] };
    writeFileSync(file, publicKeyPem(b) + publicKeyPem(a));
    await new Promise((r) => setTimeout(r, 300));
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([a.kid]);
    run.child.kill("SIGHUP");
    await eventually(async () => (await jwks()).keys.length === 2, 10_000, "SIGHUP reload");
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([b.kid, a.kid]);
  });

  it("stops cleanly on SIGTERM", async () => {
    const run = start([
      "--service-account-issuer=https://127.0.0.1",
      `--service-account-key-file=${referenceFile}`,
    ]);
    await addresses(run);
    expect(await run.stop()).toBe(0);
    expect(run.lines.filter((l) => l.msg === "closed").map((l) => l.closer)).toContain("https server");
    expect(run.lines.find((l) => l.msg === "shutdown complete")).toMatchObject({ clean: true });
  });
});
