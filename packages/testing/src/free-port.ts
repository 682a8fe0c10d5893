/**
 * Free loopback ports for servers that cannot listen on port 0 themselves (a child process whose
 * port must be known before it starts and kept across restarts).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Linux's default `net.ipv4.ip_local_port_range`, used when /proc cannot be read. */
const DEFAULT_EPHEMERAL: readonly [number, number] = [32768, 60999];

/** The kernel's ephemeral port range: where outgoing connections and port-0 listeners get ports. */
export function ephemeralPortRange(
  read: () => string = () => readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8"),
): readonly [number, number] {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux, or /proc not mounted: assume the default.
  }
  return DEFAULT_EPHEMERAL;
}

/**
 * The lowest port drawn: above the WHATWG Fetch standard's "bad ports" (the highest is 10080),
 * which Node's fetch refuses to connect to ("fetch failed": a service's /healthz on 10080 was
 * never seen healthy), and above the fixed ports of `pnpm start` (4222-9105).
 */
const LOWEST_PORT = 10_081;

/**
 * The ports {@link freePort} draws from: the larger block outside the ephemeral range, above
 * {@link LOWEST_PORT}. A port the kernel handed out for port 0 can be taken again by any outgoing
 * connection before the child process binds it (seen as EADDRINUSE when many e2e stacks start
 * at once); a port outside the ephemeral range can only be taken by another explicit bind.
 */
export function candidatePorts(range: readonly [number, number] = ephemeralPortRange()): [number, number] {
  const below: [number, number] = [LOWEST_PORT, range[0] - 1];
  const above: [number, number] = [range[1] + 1, 65_535];
  const size = ([a, b]: [number, number]) => Math.max(0, b - a + 1);
  return size(below) >= size(above) ? below : above;
}

function tryListen(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Ports this process has handed out. A port is free again the moment the probe closes it, so
 * without this two draws for one stack (say admission's gRPC and metrics ports) could return the
 * same port before either service binds it.
 */
const handedOut = new Set<number>();

/**
 * A TCP port on `host` (default `127.0.0.1`) that was free a moment ago and that this process has
 * not handed out before, drawn at random from {@link candidatePorts}; the kernel's choice for
 * port 0 only when 100 random draws were all taken. Another process can still bind it before the
 * caller does, so callers that can retry should.
 */
export async function freePort(host = "127.0.0.1", random: () => number = Math.random): Promise<number> {
  const [low, high] = candidatePorts();
  if (high >= low) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const drawn = low + Math.floor(random() * (high - low + 1));
      if (handedOut.has(drawn)) continue;
      const port = await tryListen(drawn, host);
      if (port !== undefined) {
        handedOut.add(port);
        return port;
      }
    }
  }
  const port = await tryListen(0, host);
  if (port === undefined) throw new Error(`no free TCP port on ${host}`);
  return port;
}
