/**
 * Runs the real oidc-discovery (src/main.ts through tsx) as a child process, as the launcher does,
 * and reads its JSON log lines; plus an HTTPS client that trusts the test CA.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:https";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const entry = fileURLToPath(new URL("../main.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** A running (or finished) service process. */
export interface ServiceRun {
  readonly child: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly lines: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Resolves with the first log line (past or future) that satisfies `match`. */
  waitFor(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | null>;
}

/** Starts the service with `args` (JSON logs at debug). */
export function runService(args: readonly string[], env: Record<string, string> = {}): ServiceRun {
  const child = spawn(
    process.execPath,
    ["--import", tsx, entry, "--log-format=json", "--log-level=debug", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, TOKENPLANE_HOME: "", ...env },
    },
  );
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    let i = partial.indexOf("\n");
    while (i >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      if (line.startsWith("{")) lines.push(JSON.parse(line) as Record<string, unknown>);
      i = partial.indexOf("\n");
    }
    for (const w of waiters) w();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const run: ServiceRun = {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found === undefined) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no matching log line within ${timeoutMs} ms; got:\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n${err}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void exited.then(() => {
          if (waiters.has(check)) {
            check();
            if (waiters.has(check)) {
              cleanup();
              reject(
                new Error(`process exited; log:\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n${err}`),
              );
            }
          }
        });
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
  return run;
}

/** An HTTPS reply. */
export interface HttpsReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTPS request that trusts `ca` (no client certificate: relying parties are anonymous). */
export function httpsGet(
  url: string,
  ca: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca, method: options.method ?? "GET", headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Polls `probe` every 50 ms until it returns true; fails after `timeoutMs`. */
export async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // Not yet (e.g. the port is not open).
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
