/**
 * `pnpm start` as a user runs it: an empty state directory gets the PKI and keys once, a second
 * start reuses them, and Ctrl-C (SIGINT) stops everything with exit code 0.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { candidatePorts, freePort } from "@tokenplane/testing";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const repoRoot = path.resolve(import.meta.dirname, "..");
const home = mkdtempSync(path.join(tmpdir(), "tokenplane-launcher-"));

/** A block of `count` consecutive free ports, outside the kernel's ephemeral range as freePort's are. */
async function freePortBlock(count: number): Promise<number> {
  const [low, high] = candidatePorts();
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error("no block of free ports found");
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startLauncher(natsPort: number, portBase: number): Run {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "scripts/start.ts", `--nats-port=${natsPort}`, `--port-base=${portBase}`],
    {
      cwd: repoRoot,
      env: { ...process.env, TOKENPLANE_HOME: home, NATS_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(run: Run, text: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (run.output().includes(text)) return;
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`launcher did not print ${JSON.stringify(text)}; output:\n${run.output()}`);
}

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe("pnpm start", () => {
  it("creates the cluster state once, reuses it, and stops cleanly on SIGINT", async () => {
    const natsPort = await freePort();
    const base = await freePortBlock(13);

    const first = startLauncher(natsPort, base);
    await waitFor(first, "ready. Use it with:");
    expect(first.output()).toContain("created pki/ca.crt");
    const kubeconfigPath = path.join(home, "admin.kubeconfig");
    expect(existsSync(kubeconfigPath)).toBe(true);
    const kubeconfig = parse(readFileSync(kubeconfigPath, "utf8"));
    expect(kubeconfig.clusters[0].cluster.server).toBe(`https://127.0.0.1:${base}`);
    expect(kubeconfig.users[0].name).toBe("kubernetes-admin");
    const ca = readFileSync(path.join(home, "pki", "ca.crt"), "utf8");
    const saKey = readFileSync(path.join(home, "pki", "sa.key"), "utf8");
    first.child.kill("SIGINT");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("stopped");

    const second = startLauncher(natsPort, base);
    await waitFor(second, "ready. Use it with:");
    expect(second.output()).toContain("reusing existing PKI and keys");
    expect(readFileSync(path.join(home, "pki", "ca.crt"), "utf8")).toBe(ca);
    expect(readFileSync(path.join(home, "pki", "sa.key"), "utf8")).toBe(saKey);
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
    // Nothing is left listening: NATS and every service stopped with the launcher.
    expect(await portFree(natsPort)).toBe(true);
    expect(await portFree(base)).toBe(true);
  });

  it("stops what it has started when interrupted during start-up", async () => {
    const natsPort = await freePort();
    const base = await freePortBlock(13);
    const run = startLauncher(natsPort, base);
    // The first healthy service: NATS and at least one service run, the rest are still to come.
    await waitFor(run, " is healthy");
    expect(run.output()).not.toContain("ready. Use it with:");
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain("stopped");
    expect(run.output()).not.toContain("start-up failed");
    // Nothing is left listening: not NATS, nor any service port of the block.
    expect(await portFree(natsPort)).toBe(true);
    for (let port = base; port < base + 13; port++)
      expect([port, await portFree(port)]).toEqual([port, true]);
  });
});
