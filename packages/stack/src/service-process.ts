/**
 * A service as a child process: started with its output prefixed by its name, watched for
 * health, stopped with SIGTERM (then SIGKILL after a timeout). Used by the launcher and by the
 * end-to-end tests, so both run the real processes the same way.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/** How to start one process. */
export interface ProcessSpec {
  /** Short name used as the output prefix (`apiserver`). */
  name: string;
  /** Executable; defaults to this Node binary. */
  command?: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** `http://…/healthz` answering 200 once the process is ready. */
  healthUrl?: string;
}

/** Where a process's output lines go. */
export type LineSink = (name: string, stream: "stdout" | "stderr", line: string) => void;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running child process. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<ExitInfo>;
  /** True until the process exits. */
  running(): boolean;
  /** Polls the health URL until it answers 200; rejects if the process exits first or on timeout. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). Resolves once the process is gone. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** SIGKILL at once (crash simulation). */
  kill(): Promise<ExitInfo>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Children must never outlive the process that started them. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) {
      try {
        c.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/** Arguments that make Node run a TypeScript entry point through tsx. */
export function tsxNodeArgs(entry: string): string[] {
  const require = createRequire(import.meta.url);
  const tsx = pathToFileURL(require.resolve("tsx")).href;
  return ["--import", tsx, entry];
}

function splitLines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let buf = "";
  return (chunk) => {
    buf += chunk.toString("utf8");
    let i = buf.indexOf("\n");
    while (i >= 0) {
      onLine(buf.slice(0, i).replace(/\r$/, ""));
      buf = buf.slice(i + 1);
      i = buf.indexOf("\n");
    }
  };
}

/** Starts a process; its output lines go to `sink`. */
export function startProcess(spec: ProcessSpec, sink: LineSink): ServiceProcess {
  installExitHook();
  const child = spawn(spec.command ?? process.execPath, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  if (child.pid === undefined) {
    throw new Error(`could not start ${spec.name}: ${spec.command ?? process.execPath}`);
  }
  child.stdout!.on(
    "data",
    splitLines((l) => sink(spec.name, "stdout", l)),
  );
  child.stderr!.on(
    "data",
    splitLines((l) => sink(spec.name, "stderr", l)),
  );
  let isRunning = true;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.on("exit", (code, signal) => {
      isRunning = false;
      live.delete(child);
      resolve({ code, signal });
    });
  });

  const waitHealthy = async (timeoutMs = 30_000): Promise<void> => {
    if (!spec.healthUrl) return;
    const deadline = Date.now() + timeoutMs;
    let lastError = "";
    while (Date.now() < deadline) {
      if (!isRunning) {
        const info = await exited;
        throw new Error(
          `${spec.name} exited before it was healthy (code ${info.code}, signal ${info.signal})`,
        );
      }
      try {
        const res = await fetch(spec.healthUrl, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${spec.name} was not healthy after ${timeoutMs} ms (${spec.healthUrl}: ${lastError})`);
  };

  const stop = async (graceMs = 10_000): Promise<ExitInfo> => {
    if (!isRunning) return exited;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const info = await exited;
    clearTimeout(timer);
    return info;
  };

  const kill = async (): Promise<ExitInfo> => {
    if (isRunning) child.kill("SIGKILL");
    return exited;
  };

  return {
    name: spec.name,
    pid: child.pid,
    child,
    exited,
    running: () => isRunning,
    waitHealthy,
    stop,
    kill,
  };
}

const colors = [36, 35, 33, 32, 34, 91, 96, 95];

/** A sink that writes `name | line` with a stable colour per name (when the terminal has colour). */
export function prefixedSink(out: NodeJS.WritableStream & { isTTY?: boolean }, width = 16): LineSink {
  const assigned = new Map<string, number>();
  const useColor = Boolean(out.isTTY) && !process.env.NO_COLOR;
  return (name, _stream, line) => {
    let c = assigned.get(name);
    if (c === undefined) {
      c = colors[assigned.size % colors.length]!;
      assigned.set(name, c);
    }
    const label = name.padEnd(width);
    out.write(useColor ? `\x1b[${c}m${label}|\x1b[0m ${line}\n` : `${label}| ${line}\n`);
  };
}
