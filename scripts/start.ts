/**
 * `pnpm start`: the whole control plane on this machine. Creates the cluster state once (PKI,
 * service-account key) under $TOKENPLANE_HOME, starts NATS (unless NATS_URL is given) and every
 * service as a child process with prefixed logs, writes admin.kubeconfig once all are healthy,
 * and stops everything cleanly on Ctrl-C.
 */
import { createLogger, HelpRequested, parseFlags } from "@tokenplane/runtime";
import {
  type ComponentName,
  clusterLayout,
  componentNames,
  defaultPorts,
  ensureClusterState,
  prefixedSink,
  type ServicePorts,
  type ServiceProcess,
  serviceEntry,
  serviceProcessSpec,
  startNatsProcess,
  startOrder,
  startProcess,
  writeAdminKubeconfig,
} from "@tokenplane/stack";
import { launcherFlags } from "./start-flags.js";

const sink = prefixedSink(process.stdout);

/** Ports base, base+1, ... in component order (apiserver https, grpc, metrics, then the next service). */
function consecutivePorts(base: number): Record<ComponentName, ServicePorts> {
  let next = base;
  const out = {} as Record<ComponentName, ServicePorts>;
  for (const name of componentNames) {
    const https = name === "apiserver" || name === "oidc-discovery" ? { https: next++ } : {};
    out[name] = { ...https, grpc: next++, metrics: next++ };
  }
  return out;
}
const say = (line: string) => sink("tokenplane", "stdout", line);

async function main(): Promise<number> {
  let cfg: ReturnType<typeof parseFlags<typeof launcherFlags>>;
  try {
    cfg = parseFlags(launcherFlags, {
      program: "pnpm start --",
      summary: "Start the whole tokenplane control plane on this machine.",
      argv: process.argv.slice(2),
      env: process.env,
    });
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.help}\n`);
      return 0;
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const log = createLogger({ service: "launcher", level: "info", pretty: process.stdout.isTTY });
  const layout = clusterLayout(cfg.tokenplaneHome);
  const host = cfg.host;

  const state = await ensureClusterState(layout, {
    signingKeyAlgorithm: cfg.serviceAccountKeyAlgorithm as "RS256",
  });
  say(
    `state directory ${layout.home}: ${state.created.length ? `created ${state.created.join(", ")}` : "reusing existing PKI and keys"}`,
  );

  const running: ServiceProcess[] = [];
  let stopping = false;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  /** Stops every child, last started first; the first call decides the exit code. */
  const stopAll = async (code: number): Promise<number> => {
    if (stopping) return done;
    stopping = true;
    say("stopping...");
    for (let p = running.pop(); p !== undefined; p = running.pop()) await p.stop(10_000);
    say("stopped");
    finish(code);
    return code;
  };
  // Installed before anything starts: Ctrl-C during start-up must stop what is already running
  // (with Node's default handler the launcher died and left nats-server and services behind).
  const onSignal = () => void stopAll(0);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  /** Keeps a started child; one that started while stopping is stopped at once. */
  const track = (p: ServiceProcess) => {
    if (stopping) void p.stop(10_000);
    else running.push(p);
  };

  let natsUrl = cfg.natsUrl;
  try {
    if (!natsUrl) {
      const nats = await startNatsProcess({ host, port: cfg.natsPort, storeDir: layout.natsDir }, sink);
      track(nats.process);
      natsUrl = nats.url;
    }
    const ports = cfg.portBase ? consecutivePorts(cfg.portBase) : defaultPorts;
    const wanted = (cfg.only.length ? cfg.only : startOrder) as ComponentName[];
    const present = startOrder.filter((n) => wanted.includes(n) && serviceEntry(n));
    const missing = startOrder.filter((n) => wanted.includes(n) && !serviceEntry(n));
    if (missing.length) say(`not started (not built yet in this checkout): ${missing.join(", ")}`);
    for (const name of present) {
      if (stopping) return done;
      const spec = serviceProcessSpec(name, {
        layout,
        ports,
        natsUrl,
        host,
        ...(cfg.serviceAccountIssuer.length ? { issuers: [...cfg.serviceAccountIssuer] } : {}),
        logFormat: process.stdout.isTTY ? "pretty" : "json",
        logLevel: cfg.logLevel,
      });
      const proc = startProcess(spec, sink);
      track(proc);
      await proc.waitHealthy(60_000);
      say(`${name} is healthy`);
    }
    if (stopping) return done;
    const kubeconfig = await writeAdminKubeconfig(layout, `https://${host}:${ports.apiserver.https}`);
    say(`ready. Use it with:  export KUBECONFIG=${kubeconfig}; kubectl get serviceaccounts`);
  } catch (err) {
    // A child stopped by Ctrl-C during start-up fails its health wait: not a start-up failure.
    if (stopping) return done;
    log.error({ err }, "start-up failed");
    return stopAll(1);
  }

  for (const p of running) {
    void p.exited.then((info) => {
      if (stopping) return;
      say(`${p.name} exited unexpectedly (code ${info.code}, signal ${info.signal}); stopping the stack`);
      void stopAll(1);
    });
  }
  return done;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
