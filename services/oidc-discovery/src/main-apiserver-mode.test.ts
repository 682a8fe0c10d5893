/**
 * Apiserver mode of the real service process: keys from a KeySetService (a stand-in apiserver
 * gRPC server with mutual TLS), re-fetched when a KeySetChanged notification arrives on
 * tokenplane.keys.changed (real nats-server, core NATS: no JetStream needed), without waiting for
 * the periodic resync.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { generateSigningKey, type VerificationKey } from "@tokenplane/crypto";
import { tokenplanev1 } from "@tokenplane/proto";
import { connectNats, createGrpcServer, type GrpcServer, peer } from "@tokenplane/runtime";
import { type NatsServer, startNatsServer } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_SET_CHANGED_SUBJECT, keySetChangedCodec } from "./keys/key-set-events.js";
import { eventually, httpsGet, runService, type ServiceRun } from "./testdata/service-process.js";
import { testLogger } from "./testdata/test-logger.js";
import { makeTestPki, type TestPki } from "./testdata/test-pki.js";

const ISSUER = "https://127.0.0.1:6443";
let dir: string;
let pki: TestPki;
let nats: NatsServer;
let apiserver: GrpcServer;
let apiserverPort: number;
let served: VerificationKey[];
let generation = 1n;
const callers: string[] = [];
const runs: ServiceRun[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "oidc-discovery-apiserver-"));
  pki = await makeTestPki(dir, {
    apiserver: ["tokenplane:apiserver"],
    "oidc-discovery": ["tokenplane:oidc-discovery"],
  });
  nats = await startNatsServer();
  const own = pki.certs.apiserver;
  if (own === undefined) throw new Error("no certificate");
  apiserver = createGrpcServer({
    log: testLogger().log,
    tls: { certFile: own.cert, keyFile: own.key, clientCaFile: pki.caFile },
    serving: true,
  });
  served = [generateSigningKey("RS256")];
  apiserver.addService(tokenplanev1.KeySetService, {
    async getKeySet(_req, ctx) {
      callers.push(peer(ctx).user);
      return {
        issuers: [ISSUER],
        keys: served.map((k) => ({ kid: k.kid, alg: k.alg, spkiDer: k.spkiDer })),
        jwksUri: "",
        generation,
      };
    },
  });
  apiserverPort = await apiserver.listen("127.0.0.1", 0);
});
afterAll(async () => {
  await Promise.all(runs.map((r) => r.stop()));
  await apiserver?.close(0);
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[], issuer = ISSUER): ServiceRun {
  const own = pki.certs["oidc-discovery"];
  if (own === undefined) throw new Error("no certificate");
  const run = runService([
    `--tls-cert-file=${own.cert}`,
    `--tls-private-key-file=${own.key}`,
    `--client-ca-file=${pki.caFile}`,
    "--grpc-port=0",
    "--metrics-port=0",
    "--secure-port=0",
    `--nats-url=${nats.url}`,
    `--apiserver-grpc-address=127.0.0.1:${apiserverPort}`,
    `--service-account-issuer=${issuer}`,
    ...args,
  ]);
  runs.push(run);
  return run;
}

describe("apiserver mode", () => {
  it("publishes the apiserver's key set and follows KeySetChanged notifications", async () => {
    const run = start(["--key-set-resync-interval=1h"]);
    const line = await run.waitFor((l) => l.msg === "serving OIDC discovery");
    expect(line).toMatchObject({ mode: "apiserver", issuer: ISSUER });
    const base = `https://${String(line.httpsAddress)}`;
    const kids = async () =>
      (JSON.parse((await httpsGet(`${base}/openid/v1/jwks`, pki.caPem)).body).keys as { kid: string }[]).map(
        (k) => k.kid,
      );
    await eventually(async () => (await httpsGet(`${base}/openid/v1/jwks`, pki.caPem)).status === 200);
    expect(await kids()).toEqual([served[0]?.kid]);
    expect(callers[0]).toBe("tokenplane:oidc-discovery");
    const config = JSON.parse((await httpsGet(`${base}/.well-known/openid-configuration`, pki.caPem)).body);
    expect(config.issuer).toBe(ISSUER);
    expect(config.jwks_uri).toBe(`${base}/openid/v1/jwks`);

    await run.waitFor((l) => l.msg === "subscribed to key-set notifications");

    // The apiserver's keys change (a rotation adds an ECDSA key) and it announces it.
    const added = generateSigningKey("ES256");
    served = [...served, added];
    generation = 2n;
    const nc = await connectNats({ servers: nats.url, name: "test", log: testLogger().log });
    try {
      // Core NATS may still be setting up the interest on the server: announce until it is seen.
      await eventually(
        async () => {
          nc.publish(
            KEY_SET_CHANGED_SUBJECT,
            keySetChangedCodec.encode(create(tokenplanev1.KeySetChangedSchema, { generation })),
          );
          await nc.flush();
          return (await kids()).length === 2;
        },
        15_000,
        "the new key published after the notification",
      );
      expect(await kids()).toEqual([served[0]?.kid, added.kid]);
      expect(await run.waitFor((l) => l.msg === "service-account keys changed")).toMatchObject({
        source: "apiserver",
        generation: "2",
        reason: "key-set notification",
      });

      // The old key is removed.
      served = [added];
      generation = 3n;
      nc.publish(
        KEY_SET_CHANGED_SUBJECT,
        keySetChangedCodec.encode(create(tokenplanev1.KeySetChangedSchema, { generation })),
      );
      await eventually(async () => (await kids()).length === 1, 10_000, "old key removed");
      expect(await kids()).toEqual([added.kid]);
    } finally {
      await nc.close();
    }
  });

  it("stays not ready (503) while the apiserver does not answer", async () => {
    const run = start(["--apiserver-grpc-address=127.0.0.1:1", "--key-set-resync-interval=1h"]);
    const line = await run.waitFor((l) => l.msg === "serving OIDC discovery");
    const serving = await run.waitFor((l) => l.msg === "serving");
    const base = `https://${String(line.httpsAddress)}`;
    const jwks = await httpsGet(`${base}/openid/v1/jwks`, pki.caPem);
    expect(jwks.status).toBe(503);
    const health = await fetch(`http://127.0.0.1:${String(serving.metricsPort)}/healthz`);
    expect(health.status).toBe(503);
    await run.waitFor((l) => l.msg === "cannot fetch the key set from the apiserver; retrying");
  });

  it("warns when the apiserver signs with another issuer than the one published", async () => {
    const run = start([], "https://oidc.example.com");
    await run.waitFor((l) => l.msg === "publishing the service-account keys");
    expect(
      await run.waitFor((l) => String(l.msg).startsWith("the apiserver signs tokens with another issuer")),
    ).toMatchObject({ level: 40, issuer: "https://oidc.example.com", apiserverIssuer: ISSUER });
  });
});
