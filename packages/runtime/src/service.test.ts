/**
 * The service kit end to end: a tiny service (testdata/tiny-service.ts) run through `runService`
 * in a child process with tsx, checked from outside as the launcher sees it — help, flag errors,
 * health over gRPC and /healthz, and a clean SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeTcpPort } from "./free-tcp-port.js";
import { createApiserverClient, createGrpcChannel } from "./grpc-client.js";
import { makeTestPki, type TestCert, type TestPki } from "./test-pki.js";

const entry = fileURLToPath(new URL("./testdata/tiny-service.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

interface Run {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

function start(args: string[]): Run {
  const child = spawn(process.execPath, ["--import", tsx, entry, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TOKENPLANE_HOME: "" },
  });
  running.add(child);
  let out = "";
  let err = "";
  const lines: Array<Record<string, unknown>> = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    partial += chunk.toString();
    let i = partial.indexOf("\n");
    while (i >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      if (line.startsWith("{")) lines.push(JSON.parse(line) as Record<string, unknown>);
      i = partial.indexOf("\n");
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, lines, stdout: () => out, stderr: () => err, exited };
}

async function waitFor<T>(
  what: string,
  get: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const healthz = (port: number) =>
  fetch(`http://127.0.0.1:${port}/healthz`).then(async (r) => ({ status: r.status, body: await r.text() }));

describe("runService in a child process", () => {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-service-kit-"));
  let pki: TestPki;
  let alice: TestCert;

  beforeAll(() => {
    // The layout the kit defaults to: <home>/pki/<service>.crt|.key and <home>/pki/ca.crt.
    mkdirSync(join(dir, "pki"));
    pki = makeTestPki(join(dir, "pki"));
    copyFileSync(pki.server.cert, join(dir, "pki", "tiny.crt"));
    copyFileSync(pki.server.key, join(dir, "pki", "tiny.key"));
    alice = pki.client("alice", "alice");
  });
  afterAll(() => {
    for (const child of running) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints --help with the common and the service's flags, and exits 0", async () => {
    const run = start(["--help"]);
    expect(await run.exited).toBe(0);
    const help = run.stdout();
    expect(help).toMatch(/^Usage: tiny \[flags\]\n\nA tiny service for the runtime's tests\.\n\nFlags:\n/);
    expect(help).toMatch(
      /--tokenplane-home string +state directory .*default: "\.\/\.tokenplane"; env: TOKENPLANE_HOME\)/,
    );
    expect(help).toMatch(
      /--nats-url string +NATS server URL.*default: "nats:\/\/127\.0\.0\.1:4222"; env: TOKENPLANE_NATS_URL\)/,
    );
    expect(help).toMatch(/--bind-address string .*default: "127\.0\.0\.1"/);
    expect(help).toMatch(/--grpc-port int .*unit: port; default: 0; env: TOKENPLANE_GRPC_PORT\)/);
    expect(help).toMatch(/--metrics-port int .*unit: port; default: 0/);
    expect(help).toMatch(/--tls-cert-file string .*<tokenplane-home>\/pki\/<service>\.crt/);
    expect(help).toMatch(/--tls-private-key-file string .*<tokenplane-home>\/pki\/<service>\.key/);
    expect(help).toMatch(/--client-ca-file string .*<tokenplane-home>\/pki\/ca\.crt/);
    expect(help).toMatch(/--log-format auto\|json\|pretty .*default: auto/);
    expect(help).toMatch(/--log-level trace\|debug\|info\|warn\|error .*default: info/);
    expect(help).toMatch(/--startup-delay duration +time the start-up callback takes \(default: 0s;/);
    expect(run.stderr()).toBe("");
  });

  it.each([
    [["--grpc-port=abc"], 'tiny: invalid value "abc" for flag --grpc-port: not an integer\n'],
    [["--nope"], "tiny: unknown flag: --nope\n"],
    [
      ["--log-format", "xml"],
      'tiny: invalid value "xml" for flag --log-format: must be one of: auto, json, pretty\n',
    ],
  ])("%j: prints the error and exits 2", async (args, message) => {
    const run = start(args);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toBe(`${message}Run 'tiny --help' for usage.\n`);
    expect(run.stdout()).toBe("");
  });

  it("is NOT_SERVING until start-up finished, then SERVING; SIGTERM stops it cleanly", async () => {
    const port = await freeTcpPort();
    const run = start([
      `--tokenplane-home=${dir}`,
      `--grpc-port=${port}`,
      "--metrics-port=0",
      "--log-format=json",
      "--startup-delay=1500ms",
      // Its own server stands in for the apiserver: rt.apiserver() with the default TLS files.
      "--call-self",
      `--apiserver-grpc-address=127.0.0.1:${port}`,
    ]);
    const metricsPort = await waitFor("the metrics port", () => {
      const l = run.lines.find((x) => x.msg === "metrics server listening");
      return l === undefined ? undefined : (l.port as number);
    });
    const grpcPort = await waitFor("the gRPC port", () => {
      const l = run.lines.find((x) => x.msg === "gRPC server listening");
      return l === undefined ? undefined : (l.port as number);
    });

    const channel = createGrpcChannel({
      address: `127.0.0.1:${grpcPort}`,
      tls: { certFile: alice.cert, keyFile: alice.key, caFile: pki.ca.cert },
    });
    const Health = grpc.makeClientConstructor(
      healthService as unknown as grpc.ServiceDefinition,
      "grpc.health.v1.Health",
    );
    const health = new Health(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), {
      channelOverride: channel.client.getChannel(),
    }) as unknown as {
      check(
        req: { service: string },
        cb: (err: grpc.ServiceError | null, res?: { status: string }) => void,
      ): void;
    };
    const check = () =>
      new Promise<string>((resolve, reject) =>
        health.check({ service: "" }, (err, res) => (err ? reject(err) : resolve(res?.status ?? ""))),
      );
    try {
      expect(await check()).toBe("NOT_SERVING");
      expect(await healthz(metricsPort)).toEqual({ status: 503, body: "not ready" });
      expect(run.lines.some((l) => l.msg === "serving")).toBe(false);

      await waitFor("SERVING", async () => ((await check()) === "SERVING" ? true : undefined));
      expect(await healthz(metricsPort)).toEqual({ status: 200, body: "ok" });
      const api = createApiserverClient(channel);
      expect((await api.keys.getKeySet({})).issuers).toEqual(["https://127.0.0.1"]);
      expect(run.lines.find((l) => l.msg === "called itself")).toMatchObject({
        issuers: ["https://127.0.0.1"],
      });
      const serving = run.lines.find((l) => l.msg === "serving");
      expect(serving).toMatchObject({ service: "tiny", grpcPort, metricsPort });
      expect(run.lines.find((l) => l.msg === "starting")?.config).toMatchObject({
        tokenplaneHome: dir,
        bindAddress: "127.0.0.1",
        startupDelay: 1500,
        failStart: false,
        apiserverGrpcAddress: `127.0.0.1:${port}`,
      });

      run.child.kill("SIGTERM");
      expect(await run.exited).toBe(0);
    } finally {
      channel.close();
    }
    const closers = run.lines.filter((l) => l.msg === "closing").map((l) => l.closer);
    expect(closers).toEqual([
      "stop serving",
      "tiny work",
      "apiserver channel",
      "gRPC server",
      "metrics server",
    ]);
    // The service's own closer ran after the server stopped serving.
    expect(run.lines.find((l) => l.msg === "tiny closer ran")).toMatchObject({ serving: false });
    expect(run.lines.find((l) => l.msg === "shutdown complete")).toMatchObject({ clean: true });
    expect(run.stderr()).toBe("");
  });

  it("follows the ready() the callback returned", async () => {
    const readyFile = join(dir, "ready");
    const run = start([`--tokenplane-home=${dir}`, "--log-format=json", `--ready-file=${readyFile}`]);
    const metricsPort = await waitFor("the metrics port", () => {
      const l = run.lines.find((x) => x.msg === "metrics server listening");
      return l === undefined ? undefined : (l.port as number);
    });
    await waitFor("serving", () => (run.lines.some((l) => l.msg === "serving") ? true : undefined));
    expect(await healthz(metricsPort)).toEqual({ status: 503, body: "not ready" });
    writeFileSync(readyFile, "");
    await waitFor("ready", async () => ((await healthz(metricsPort)).status === 200 ? true : undefined));
    rmSync(readyFile);
    await waitFor("not ready", async () => ((await healthz(metricsPort)).status === 503 ? true : undefined));
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
  });

  it("exits 1 when the start-up callback throws, after closing what was started", async () => {
    const run = start([`--tokenplane-home=${dir}`, "--log-format=json", "--fail-start"]);
    expect(await run.exited).toBe(1);
    const failure = run.lines.find((l) => l.msg === "start-up failed");
    expect(failure).toMatchObject({ level: 50 });
    expect(failure?.err).toMatchObject({ message: "start-up refused by --fail-start" });
    expect(run.lines.filter((l) => l.msg === "closing").map((l) => l.closer)).toEqual([
      "gRPC server",
      "metrics server",
    ]);
  });

  it("exits 1 when its certificate is missing", async () => {
    const run = start([`--tokenplane-home=${join(dir, "nowhere")}`, "--log-format=json"]);
    expect(await run.exited).toBe(1);
    const failure = run.lines.find((l) => l.msg === "cannot start the servers");
    expect((failure?.err as { message: string } | undefined)?.message).toMatch(
      /ENOENT.*nowhere\/pki\/ca\.crt/,
    );
  });
});
