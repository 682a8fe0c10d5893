/**
 * A nats-server with JetStream as a child process, for the launcher (persistent store under the
 * state directory) and the end-to-end harness.
 */
import { accessSync, constants, mkdirSync } from "node:fs";
import net from "node:net";
import { delimiter, join } from "node:path";
import { type LineSink, type ServiceProcess, startProcess } from "./service-process.js";

/** Install hint printed when the binary is missing. */
export const natsInstallHint = "apt-get install -y nats-server";

/** Directories searched after PATH: Debian installs the binary in /usr/sbin, often not on a user's PATH. */
const extraDirs = ["/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"];

/** Finds the nats-server binary on PATH or in the usual system directories; throws with the install hint. */
export function findNatsServer(path: string = process.env.PATH ?? ""): string {
  const dirs = [...path.split(delimiter).filter((d) => d !== ""), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, "nats-server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    `nats-server not found on PATH or in ${extraDirs.join(", ")}; install it with: ${natsInstallHint}`,
  );
}

export interface NatsProcess {
  url: string;
  process: ServiceProcess;
}

/** Starts nats-server on host:port with JetStream in `storeDir`; resolves once it accepts connections. */
export async function startNatsProcess(
  opts: { host: string; port: number; storeDir: string },
  sink: LineSink,
): Promise<NatsProcess> {
  const bin = findNatsServer();
  mkdirSync(opts.storeDir, { recursive: true });
  const proc = startProcess(
    {
      name: "nats",
      command: bin,
      args: ["-a", opts.host, "-p", String(opts.port), "-js", "-sd", opts.storeDir],
    },
    sink,
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!proc.running()) {
      const info = await proc.exited;
      throw new Error(`nats-server exited at start (code ${info.code}); is port ${opts.port} taken?`);
    }
    if (await canConnect(opts.host, opts.port))
      return { url: `nats://${opts.host}:${opts.port}`, process: proc };
    await new Promise((r) => setTimeout(r, 50));
  }
  await proc.stop();
  throw new Error(`nats-server did not accept connections on ${opts.host}:${opts.port} within 10 s`);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}
