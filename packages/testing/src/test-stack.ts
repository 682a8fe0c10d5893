/**
 * The real control plane for an end-to-end test file: a fresh state directory, a private
 * nats-server, and the service processes started exactly as `pnpm start` starts them (same
 * command lines, from @tokenplane/stack), on free ports. Service output is kept per service (in
 * memory and in `<home>/logs/<service>.log`) so tests can read it and failures can show it.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type ClusterLayout,
  type ComponentName,
  clusterLayout,
  componentNames,
  ensureClusterState,
  type ServicePorts,
  type ServiceProcess,
  type StackSettings,
  serviceEntry,
  serviceProcessSpec,
  startOrder,
  startProcess,
  writeAdminKubeconfig,
} from "@tokenplane/stack";
import { freePort } from "./free-port.js";
import { type KubectlResult, runKubectl } from "./kubectl.js";
import { type NatsServer, startNatsServer } from "./nats-server.js";

export interface TestStackOptions {
  /** Services to start, in start order; default: every service present in this checkout. */
  services?: readonly ComponentName[];
  /** Extra flags per service (short lifetimes, test clocks, ...). */
  extraArgs?: Partial<Record<ComponentName, string[]>>;
  env?: Record<string, string>;
  /**
   * `--service-account-issuer` values; default the apiserver's own https address. A function gets
   * the allocated ports (e.g. the issuer at oidc-discovery's https port).
   */
  issuers?: string[] | ((ports: Record<ComponentName, ServicePorts>) => string[]);
  /** Service-account key algorithm created for the cluster (default RS256). */
  signingKeyAlgorithm?: "RS256" | "ES256" | "ES384" | "ES512";
  /** Also echo service output to the test's stderr (default: only when TOKENPLANE_TEST_LOGS=1). */
  echoLogs?: boolean;
}

export interface TestStack {
  layout: ClusterLayout;
  ports: Record<ComponentName, ServicePorts>;
  nats: NatsServer;
  settings: StackSettings;
  /** Path of admin.kubeconfig (written after the services are healthy). */
  kubeconfig: string;
  /** `https://127.0.0.1:<port>` of the Kubernetes API. */
  apiserverUrl: string;
  /** The running process of a service. */
  process(name: ComponentName): ServiceProcess;
  /** Captured output lines of a service (all starts of it). */
  logs(name: ComponentName): string[];
  /** Starts a service (again) and waits until it is healthy. */
  start(name: ComponentName): Promise<void>;
  /** Stops a service with SIGTERM. */
  stop(name: ComponentName): Promise<void>;
  /** Kills a service with SIGKILL (crash). */
  kill(name: ComponentName): Promise<void>;
  /** Runs kubectl as the administrator (or with the given kubeconfig / extra args). */
  kubectl(
    args: string[],
    options?: { kubeconfig?: string; input?: string; timeoutMs?: number },
  ): Promise<KubectlResult>;
  /** Stops everything and removes the state directory. */
  close(): Promise<void>;
}

const host = "127.0.0.1";

async function allocatePorts(): Promise<Record<ComponentName, ServicePorts>> {
  const out = {} as Record<ComponentName, ServicePorts>;
  for (const name of componentNames) {
    const withHttps = name === "apiserver" || name === "oidc-discovery";
    out[name] = {
      grpc: await freePort(host),
      metrics: await freePort(host),
      ...(withHttps ? { https: await freePort(host) } : {}),
    };
  }
  return out;
}

/** Starts the stack; call `close()` in `afterAll`. */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const home = mkdtempSync(path.join(tmpdir(), "tokenplane-e2e-"));
  const layout = clusterLayout(home);
  const logDir = path.join(home, "logs");
  mkdirSync(logDir, { recursive: true });
  await ensureClusterState(layout, { signingKeyAlgorithm: options.signingKeyAlgorithm ?? "RS256" });
  const nats = await startNatsServer();
  const ports = await allocatePorts();
  const settings: StackSettings = {
    layout,
    ports,
    natsUrl: nats.url,
    host,
    ...(options.issuers
      ? { issuers: typeof options.issuers === "function" ? options.issuers(ports) : options.issuers }
      : {}),
    ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
    env: { TOKENPLANE_TEST: "1", ...options.env },
    logFormat: "json",
    logLevel: "debug",
  };
  const echo = options.echoLogs ?? process.env.TOKENPLANE_TEST_LOGS === "1";
  const captured = new Map<string, string[]>();
  const sink = (name: string, _stream: "stdout" | "stderr", line: string) => {
    let lines = captured.get(name);
    if (!lines) {
      lines = [];
      captured.set(name, lines);
    }
    lines.push(line);
    appendFileSync(path.join(logDir, `${name}.log`), `${line}\n`);
    if (echo) process.stderr.write(`${name.padEnd(16)}| ${line}\n`);
  };
  const running = new Map<ComponentName, ServiceProcess>();
  const start = async (name: ComponentName) => {
    const proc = startProcess(serviceProcessSpec(name, settings), sink);
    running.set(name, proc);
    try {
      await proc.waitHealthy(60_000);
    } catch (err) {
      const tail = (captured.get(name) ?? []).slice(-30).join("\n");
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\n--- last output of ${name} ---\n${tail}`,
      );
    }
  };
  const wanted = (options.services ?? startOrder).filter((n) => serviceEntry(n));
  const ordered = startOrder.filter((n) => wanted.includes(n));
  const cacheDir = path.join(home, "kubectl-cache");
  const apiserverUrl = `https://${host}:${ports.apiserver.https}`;
  let kubeconfig = layout.adminKubeconfig;
  const close = async () => {
    for (const name of [...ordered].reverse()) await running.get(name)?.stop(5_000);
    await nats.stop();
    rmSync(home, { recursive: true, force: true });
  };
  try {
    for (const name of ordered) await start(name);
    kubeconfig = await writeAdminKubeconfig(layout, apiserverUrl);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    layout,
    ports,
    nats,
    settings,
    kubeconfig,
    apiserverUrl,
    process: (name) => {
      const p = running.get(name);
      if (!p) throw new Error(`${name} is not running in this test stack`);
      return p;
    },
    logs: (name) => captured.get(name) ?? [],
    start,
    stop: async (name) => {
      await running.get(name)?.stop(10_000);
    },
    kill: async (name) => {
      await running.get(name)?.kill();
    },
    kubectl: (args, o = {}) =>
      runKubectl(args, {
        kubeconfig: o.kubeconfig ?? kubeconfig,
        cacheDir,
        home,
        ...(o.input !== undefined ? { input: o.input } : {}),
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      }),
    close,
  };
}
