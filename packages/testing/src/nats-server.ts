/**
 * A private `nats-server` per test file (STYLE.md §9, as nats.js tests do): loopback only, a free
 * port, JetStream storing into a fresh temporary directory. It can be restarted on the same port
 * and directory to test what survives a NATS outage, and it never outlives the test process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findNatsServer, natsInstallHint } from "@tokenplane/stack";

export { findNatsServer };

import { freePort } from "./free-port.js";

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Enable JetStream (`-js -sd <temp dir>`); default true. */
  readonly jetstream?: boolean;
  /** Path of the binary; default `nats-server` found by {@link findNatsServer}. */
  readonly binary?: string;
  /** How long to wait for the server to accept connections, milliseconds; default 10000. */
  readonly startTimeoutMs?: number;
  /** Extra command-line arguments. */
  readonly args?: readonly string[];
}

/** Options of {@link NatsServer.restart}. */
export interface RestartOptions {
  /** Signal that stops the running server; default `SIGTERM`. `SIGKILL` simulates a crash. */
  readonly signal?: NodeJS.Signals;
}

/** A running private nats-server. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** The TCP port, the same across restarts. */
  readonly port: number;
  /** The JetStream store directory (removed by {@link stop}). */
  readonly storeDir: string;
  /** Process id of the current server process (changes on restart). */
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes the store directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port and store directory. */
  restart(options?: RestartOptions): Promise<void>;
}

/** The install hint in every "binary missing" error. */
const INSTALL_HINT = `install it with: ${natsInstallHint}`;
/** How many fresh ports to try when the chosen one was taken before the server bound it. */
const PORT_ATTEMPTS = 5;
/** Bytes of server output kept for error messages. */
const OUTPUT_LIMIT = 16_384;

const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Kills every server still running (and removes its directory) when the test process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * Starts a private nats-server on 127.0.0.1 and a free port and waits until it accepts
 * connections (and reports JetStream enabled, when asked for).
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const jetstream = options.jetstream ?? true;
  const binary = options.binary ?? findNatsServer();
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const storeDir = mkdtempSync(join(tmpdir(), "tokenplane-nats-"));
  liveDirs.add(storeDir);
  installExitHook();

  // A unique server name lets start-up recognise its own server: a port taken by someone else
  // between freePort() and bind would otherwise answer with the other server's INFO.
  const name = `tokenplane-test-${randomBytes(6).toString("hex")}`;
  const args = (port: number) => [
    "-n",
    name,
    "-a",
    "127.0.0.1",
    "-p",
    String(port),
    ...(jetstream ? ["-js", "-sd", storeDir] : []),
    ...(options.args ?? []),
  ];

  let port = 0;
  let child: ChildProcess | undefined;
  try {
    for (let attempt = 1; child === undefined; attempt++) {
      port = await freePort();
      try {
        child = await launch(binary, args(port), port, name, jetstream, timeoutMs);
      } catch (err) {
        if (!(err instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    liveDirs.delete(storeDir);
    await rm(storeDir, { recursive: true, force: true });
    throw err;
  }

  let current: ChildProcess | undefined = child;
  let stopped = false;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return current?.pid ?? 0;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (current !== undefined) await terminate(current, "SIGTERM");
      current = undefined;
      liveDirs.delete(storeDir);
      await rm(storeDir, { recursive: true, force: true });
    },
    async restart(restartOptions = {}) {
      if (stopped) throw new Error("nats-server was stopped; start a new one");
      if (current !== undefined) await terminate(current, restartOptions.signal ?? "SIGTERM");
      current = undefined;
      // The port was ours a moment ago; a few tries ride out a slow release of the socket.
      for (let attempt = 1; current === undefined; attempt++) {
        try {
          current = await launch(binary, args(port), port, name, jetstream, timeoutMs);
        } catch (err) {
          if (!(err instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw err;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    },
  };
}

/** The server exited because its port was in use. */
class PortTaken extends Error {}

/** Spawns the server and resolves once it answers with its INFO line; kills it on failure. */
async function launch(
  binary: string,
  args: string[],
  port: number,
  name: string,
  jetstream: boolean,
  timeoutMs: number,
): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  live.add(child);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.once("exit", (code, signal) => {
    exited = { code, signal };
    live.delete(child);
  });
  child.once("error", (err) => {
    spawnError = err;
    live.delete(child);
  });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError !== undefined) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EACCES") {
        throw new Error(`cannot run nats-server at ${binary} (${code}); ${INSTALL_HINT}`);
      }
      throw spawnError;
    }
    if (exited !== undefined) {
      if (/address already in use/i.test(output)) throw new PortTaken(`port ${port} is taken`);
      throw new Error(
        `nats-server exited during start-up (code ${exited.code}, signal ${exited.signal}): ${output.trim()}`,
      );
    }
    const info = await readInfo(port);
    if (info?.server_name === name && (!jetstream || info.jetstream === true)) return child;
    if (Date.now() > deadline) {
      await terminate(child, "SIGKILL");
      throw new Error(
        `nats-server did not accept connections on port ${port} within ${timeoutMs} ms: ${output.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The fields of the server's INFO line that start-up checks. */
interface ServerInfo {
  readonly server_name?: string;
  readonly jetstream?: boolean;
}

/** Connects, reads the server's INFO line and disconnects; undefined when nothing answers yet. */
function readInfo(port: number): Promise<ServerInfo | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    const done = (value: ServerInfo | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1_000, () => done(undefined));
    socket.on("error", () => done(undefined));
    socket.on("data", (chunk) => {
      data += chunk.toString();
      const end = data.indexOf("\r\n");
      if (end === -1) return;
      const line = data.slice(0, end);
      try {
        done(line.startsWith("INFO ") ? (JSON.parse(line.slice(5)) as ServerInfo) : undefined);
      } catch {
        done(undefined);
      }
    });
  });
}

/** Sends `signal`, waits for exit; escalates to SIGKILL after 5 s. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  live.delete(child);
}
