/**
 * The gRPC server and clients over real mutual TLS on 127.0.0.1, with throwaway certificates made
 * by openssl: identity, refused callers, Status round trips, trace propagation, health, metrics.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { newInvalid, StatusError } from "@tokenplane/apimachinery";
import { type ServiceImpl, tokenplanev1 } from "@tokenplane/proto";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeTcpPort } from "./free-tcp-port.js";
import { createApiserverClient, createGrpcChannel, type GrpcChannel } from "./grpc-client.js";
import { createGrpcServer, type GrpcServer, peer } from "./grpc-server.js";
import { captureWarnings, INTERNAL_ERROR_MESSAGE, warningMetadata } from "./grpc-status.js";
import { createLogger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import { makeTestPki, type TestCert, type TestPki } from "./test-pki.js";
import { currentTrace, newTrace, runWithTrace } from "./trace.js";

const { ObjectService, KeySetService } = tokenplanev1;

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    service: "test",
    level: "debug",
    pretty: false,
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { log, lines };
}

const notUsed = async (): Promise<never> => {
  throw new Error("not used by these tests");
};

/** `get` behaves according to the requested name. */
const objects: ServiceImpl<typeof ObjectService> = {
  async get(req, ctx) {
    switch (req.name) {
      case "whoami": {
        const who = peer(ctx);
        const trace = currentTrace();
        return {
          object: {
            case: "configMap",
            value: {
              metadata: { name: "whoami" },
              data: {
                user: who.user,
                groups: who.groups.join(","),
                traceId: trace?.traceId ?? "",
                requestId: trace?.requestId ?? "",
              },
            },
          },
        };
      }
      case "invalid":
        throw newInvalid({ group: "", kind: "ConfigMap" }, "Bad", [
          {
            type: "FieldValueInvalid",
            field: "metadata.name",
            badValue: "Bad",
            detail: "must be lower case",
          },
        ]);
      case "warned":
        throw new StatusError({ code: 403, reason: "Forbidden", message: "no" }, [
          "careful, really",
          "très careful",
        ]);
      case "boom":
        throw new Error("cannot open /var/lib/secret-store: EACCES");
      case "slow":
        // Until the client gives up (its deadline) or 2 s.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_000);
          ctx.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        return {};
      case "ok-with-warnings":
        ctx.sendTrailers(warningMetadata(["deprecated field used"]));
        return { object: { case: "configMap", value: { metadata: { name: "w" } } } };
      default:
        return { object: { case: "configMap", value: { metadata: { name: req.name } } } };
    }
  },
  list: notUsed,
  create: notUsed,
  update: notUsed,
  patch: notUsed,
  delete: notUsed,
  bind: notUsed,
  async *watch() {},
};

describe("gRPC server and clients over mutual TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-runtime-grpc-"));
  const { log, lines } = capturingLogger();
  const registry = createMetrics({ service: "test", defaultMetrics: false });
  let pki: TestPki;
  let alice: TestCert;
  let server: GrpcServer;
  let port = 0;
  const channels: GrpcChannel[] = [];
  const processWarnings: string[] = [];
  const onWarning = (w: Error) => processWarnings.push(w.message);

  const channel = (address: string, cert: TestCert, caFile = pki.ca.cert, serverName?: string) => {
    const ch = createGrpcChannel({
      address,
      tls: { certFile: cert.cert, keyFile: cert.key, caFile },
      ...(serverName === undefined ? {} : { serverName }),
    });
    channels.push(ch);
    return ch;
  };

  beforeAll(async () => {
    process.on("warning", onWarning);
    pki = makeTestPki(dir);
    alice = pki.client("alice", "alice", ["team-a", "team-b"]);
    server = createGrpcServer({
      log,
      tls: { certFile: pki.server.cert, keyFile: pki.server.key, clientCaFile: pki.ca.cert },
      metrics: registry,
    });
    server.addService(ObjectService, objects);
    server.addService(
      KeySetService,
      { getKeySet: async () => ({ issuers: ["https://issuer"] }) },
      { authorize: (who, method) => who.groups.includes("key-readers") && method.name === "GetKeySet" },
    );
    port = await server.listen("127.0.0.1", 0);
    server.health.setServing(true);
  });

  afterAll(async () => {
    process.off("warning", onWarning);
    for (const ch of channels) ch.close();
    await server.close(1_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it("hands the handler the caller's CN as user and O values as groups", async () => {
    const api = createApiserverClient(channel(`127.0.0.1:${port}`, alice));
    const res = await api.objects.get({ name: "whoami" });
    expect(res.object.case).toBe("configMap");
    const data = (res.object.value as { data: Record<string, string> }).data;
    expect([data.user, data.groups]).toEqual(["alice", "team-a,team-b"]);
  });

  it("propagates the trace from client to server, and logs each call with it", async () => {
    const api = createApiserverClient(channel(`localhost:${port}`, alice));
    const trace = newTrace("req-42");
    const res = await runWithTrace(trace, () => api.objects.get({ name: "whoami" }));
    const data = (res.object.value as { data: Record<string, string> }).data;
    expect(data.traceId).toBe(trace.traceId);
    expect(data.requestId).toBe("req-42");
    const line = lines.find((l) => l.msg === "grpc call" && l.request_id === "req-42");
    expect(line).toMatchObject({
      level: 20,
      method: "/tokenplane.v1.ObjectService/Get",
      user: "alice",
      code: "OK",
      trace_id: trace.traceId,
    });
    expect(typeof line?.ms).toBe("number");
    expect(line?.span_id).not.toBe(trace.spanId); // the server runs in a child span
  });

  it("starts a new trace for a call that carries none", async () => {
    const api = createApiserverClient(channel(`127.0.0.1:${port}`, alice));
    const res = await api.objects.get({ name: "whoami" });
    const data = (res.object.value as { data: Record<string, string> }).data;
    expect(data.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(data.requestId).toBe(data.traceId);
  });

  it("refuses a client without a certificate", async () => {
    const raw = new grpc.Client(`localhost:${port}`, grpc.credentials.createSsl(readFileSync(pki.ca.cert)));
    try {
      const err = await rawUnary(raw, "/tokenplane.v1.KeySetService/GetKeySet");
      expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      raw.close();
    }
  });

  it("refuses a client certificate from another CA", async () => {
    const other = makeTestPki(dir, "other-ca");
    const mallory = other.client("mallory", "mallory", ["key-readers"]);
    const api = createApiserverClient(channel(`127.0.0.1:${port}`, mallory));
    const err = await api.keys.getKeySet({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(503);
    expect((err as StatusError).message).toMatch(
      new RegExp(`^cannot reach 127\\.0\\.0\\.1:${port} \\(/tokenplane\\.v1\\.KeySetService/GetKeySet\\): `),
    );
  });

  it("verifies the server against the dialled IP address, not a placeholder name", async () => {
    // A certificate for DNS:localhost only: fine when dialled as localhost, refused as 127.0.0.1.
    const dnsOnly = pki.serving("dns-only", "DNS:localhost");
    const s = createGrpcServer({
      log,
      tls: { certFile: dnsOnly.cert, keyFile: dnsOnly.key, clientCaFile: pki.ca.cert },
    });
    s.addService(ObjectService, objects);
    const p = await s.listen("127.0.0.1", 0);
    try {
      const byName = createApiserverClient(channel(`localhost:${p}`, alice));
      expect((await byName.objects.get({ name: "x" })).object.case).toBe("configMap");
      const byIp = createApiserverClient(channel(`127.0.0.1:${p}`, alice));
      const err = (await byIp.objects.get({ name: "x" }).catch((e: unknown) => e)) as StatusError;
      expect(err.code).toBe(503);
      expect(err.message).toContain("IP: 127.0.0.1 is not in the cert's list");
      // With an explicit server name, the IP is dialled and the name verified.
      const named = createApiserverClient(channel(`127.0.0.1:${p}`, alice, pki.ca.cert, "localhost"));
      expect((await named.objects.get({ name: "x" })).object.case).toBe("configMap");
      // No IP address was sent as TLS ServerName (Node's DEP0123 warning).
      expect(processWarnings.filter((w) => w.includes("RFC 6066"))).toEqual([]);
    } finally {
      await s.close(500);
    }
  });

  it("refuses a server whose certificate is from another CA", async () => {
    const other = makeTestPki(dir, "third-ca");
    const api = createApiserverClient(channel(`127.0.0.1:${port}`, alice, other.ca.cert));
    const err = (await api.objects.get({ name: "x" }).catch((e: unknown) => e)) as StatusError;
    expect(err.code).toBe(503);
  });

  it("round-trips a StatusError: code, reason, message, details and warnings", async () => {
    const api = createApiserverClient(channel(`127.0.0.1:${port}`, alice));
    const invalid = (await api.objects.get({ name: "invalid" }).catch((e: unknown) => e)) as StatusError;
    expect(invalid).toBeInstanceOf(StatusError);
    expect(invalid.status).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'ConfigMap "Bad" is invalid: metadata.name: Invalid value: "Bad": must be lower case',
      reason: "Invalid",
      details: {
        name: "Bad",
        kind: "ConfigMap",
        causes: [
          {
            reason: "FieldValueInvalid",
            message: 'Invalid value: "Bad": must be lower case',
            field: "metadata.name",
          },
        ],
      },
      code: 422,
    });
    const warned = (await api.objects.get({ name: "warned" }).catch((e: unknown) => e)) as StatusError;
    expect([warned.code, warned.reason, warned.message]).toEqual([403, "Forbidden", "no"]);
    expect(warned.warnings).toEqual(["careful, really", "très careful"]);
  });

  it("surfaces warnings of a successful call", async () => {
    const api = createApiserverClient(channel(`127.0.0.1:${port}`, alice), { log });
    const w = captureWarnings();
    await api.objects.get({ name: "ok-with-warnings" }, { onTrailers: w.onTrailers });
    expect(w.warnings).toEqual(["deprecated field used"]);
    expect(lines.find((l) => l.msg === "server sent warnings")).toMatchObject({
      level: 40,
      method: "/tokenplane.v1.ObjectService/Get",
      warnings: ["deprecated field used"],
    });
  });

  it("sends an unexpected error as INTERNAL with a generic message and logs the detail", async () => {
    const api = createApiserverClient(channel(`127.0.0.1:${port}`, alice));
    const trace = newTrace("req-boom");
    const err = (await runWithTrace(trace, () => api.objects.get({ name: "boom" })).catch(
      (e: unknown) => e,
    )) as StatusError;
    expect([err.code, err.reason, err.message]).toEqual([500, "InternalError", INTERNAL_ERROR_MESSAGE]);
    expect(JSON.stringify(err.status)).not.toContain("secret-store");
    const logged = lines.find(
      (l) => l.msg === "unexpected error in gRPC handler" && l.request_id === "req-boom",
    );
    expect(logged).toMatchObject({ level: 50, method: "/tokenplane.v1.ObjectService/Get", user: "alice" });
    expect(logged?.err).toMatchObject({ message: "cannot open /var/lib/secret-store: EACCES" });
  });

  it("answers 403 when authorize says no, and serves when it says yes", async () => {
    const denied = createApiserverClient(channel(`127.0.0.1:${port}`, alice));
    const err = (await denied.keys.getKeySet({}).catch((e: unknown) => e)) as StatusError;
    expect([err.code, err.reason, err.message]).toEqual([
      403,
      "Forbidden",
      'forbidden: User "alice" cannot call /tokenplane.v1.KeySetService/GetKeySet',
    ]);
    const reader = pki.client("reader", "system:reader", ["key-readers"]);
    const allowed = createApiserverClient(channel(`127.0.0.1:${port}`, reader));
    expect((await allowed.keys.getKeySet({})).issuers).toEqual(["https://issuer"]);
  });

  it("fails a call past its deadline with 504", async () => {
    const api = createApiserverClient(channel(`127.0.0.1:${port}`, alice), { timeoutMs: 200 });
    const err = (await api.objects.get({ name: "slow" }).catch((e: unknown) => e)) as StatusError;
    expect([err.code, err.reason]).toEqual([504, "Timeout"]);
    expect(err.message).toMatch(
      new RegExp(
        `^127\\.0\\.0\\.1:${port} \\(/tokenplane\\.v1\\.ObjectService/Get\\) did not answer in time: Deadline exceeded`,
      ),
    );
  });

  it("fails fast with 503 naming the address when nothing listens", async () => {
    const closed = await freeTcpPort();
    const api = createApiserverClient(channel(`127.0.0.1:${closed}`, alice));
    const started = Date.now();
    const err = (await api.objects.get({ name: "x" }).catch((e: unknown) => e)) as StatusError;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect([err.code, err.reason]).toEqual([503, "ServiceUnavailable"]);
    expect(err.message).toContain(`cannot reach 127.0.0.1:${closed} (/tokenplane.v1.ObjectService/Get): `);
    expect(err.message).toContain("ECONNREFUSED");
  });

  it("serves grpc.health.v1.Health to the standard client", async () => {
    const Health = grpc.makeClientConstructor(
      healthService as unknown as grpc.ServiceDefinition,
      "grpc.health.v1.Health",
    );
    const ch = channel(`127.0.0.1:${port}`, alice);
    const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      channelOverride: ch.client.getChannel(),
    }) as unknown as {
      check(
        req: { service: string },
        cb: (err: grpc.ServiceError | null, res?: { status: string }) => void,
      ): void;
    };
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        health.check({ service }, (err, res) => (err ? reject(err) : resolve(res?.status ?? ""))),
      );
    expect(await check("")).toBe("SERVING");
    expect(await check("tokenplane.v1.ObjectService")).toBe("SERVING");
    server.health.setServing("tokenplane.v1.ObjectService", false);
    expect(await check("tokenplane.v1.ObjectService")).toBe("NOT_SERVING");
    expect(server.health.isServing("tokenplane.v1.ObjectService")).toBe(false);
    expect(server.health.isServing()).toBe(true);
    server.health.setServing(false);
    expect(await check("")).toBe("NOT_SERVING");
    server.health.setServing(true);
    expect(await check("tokenplane.v1.ObjectService")).toBe("SERVING");
    const unknown = await check("no.such.Service").catch((e: grpc.ServiceError) => e.code);
    expect(unknown).toBe(grpc.status.NOT_FOUND);
  });

  it("counts calls by service, method and code", async () => {
    const text = await registry.metrics();
    expect(text).toMatch(
      /grpc_server_handled_total\{grpc_service="tokenplane\.v1\.ObjectService",grpc_method="Get",grpc_code="OK",service="test"\} \d+/,
    );
    expect(text).toContain(
      'grpc_server_handled_total{grpc_service="tokenplane.v1.KeySetService",grpc_method="GetKeySet",grpc_code="PERMISSION_DENIED",service="test"} 1',
    );
    expect(text).toContain(
      'grpc_server_handled_total{grpc_service="tokenplane.v1.ObjectService",grpc_method="Get",grpc_code="INVALID_ARGUMENT",service="test"} 1',
    );
    expect(text).toMatch(
      /grpc_server_handling_seconds_count\{service="test",grpc_service="tokenplane\.v1\.ObjectService",grpc_method="Get"\} \d+/,
    );
  });
});

/** A unary call on a raw client with an empty request; resolves to the error (or null). */
function rawUnary(client: grpc.Client, path: string): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      new grpc.Metadata(),
      { deadline: Date.now() + 5_000 },
      (err) => resolve(err),
    );
  });
}
