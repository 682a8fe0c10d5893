/**
 * Orderly shutdown for a service's `main.ts`: closers are registered as things start (listeners,
 * NATS, consumers, stores) and run in reverse order on SIGINT/SIGTERM, so what started last stops
 * first (stop accepting work, then drain, then close storage).
 */
import type { Logger } from "./logger.js";

/** The signals that start a shutdown. */
export type ShutdownSignal = "SIGINT" | "SIGTERM";

/** The parts of `process` used here, injectable so tests can send signals without dying. */
export interface ProcessLike {
  on(event: ShutdownSignal, listener: () => void): unknown;
  off(event: ShutdownSignal, listener: () => void): unknown;
  exit(code: number): void;
}

/** Options of {@link handleShutdown}. */
export interface ShutdownOptions {
  /** Logs each step. */
  readonly log: Logger;
  /** Overall time for all closers, milliseconds; past it the process exits 1. Default 10000. */
  readonly timeoutMs?: number;
  /** The process to listen on and exit; default the real `process`. */
  readonly process?: ProcessLike;
}

/** Closes one thing; may reject (the error is logged and the next closer runs). */
export type Closer = () => Promise<void>;

/** A service's shutdown controller. */
export interface Shutdown {
  /**
   * Registers `closer` under `name` (for the log). Closers run in reverse order of registration.
   * Registered after shutdown began (something finished starting late), it runs at once.
   */
  add(name: string, closer: Closer): void;
  /**
   * Starts the shutdown (as a signal does) and returns {@link done}. Later calls return the same
   * promise. Exits 0 when every closer succeeded, 1 when one failed or time ran out.
   */
  shutdown(reason: string): Promise<void>;
  /** Settles when the shutdown finished (just before exit). */
  readonly done: Promise<void>;
}

/**
 * Installs SIGINT/SIGTERM handlers: the first signal starts an orderly shutdown, a second one
 * exits 1 at once (the operator insists).
 */
export function handleShutdown(options: ShutdownOptions): Shutdown {
  const { log } = options;
  const proc: ProcessLike = options.process ?? process;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const closers: Array<{ name: string; closer: Closer }> = [];
  let started: Promise<void> | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  const onSignal = (signal: ShutdownSignal) => () => {
    if (started !== undefined) {
      log.warn({ signal }, "second signal, exiting now");
      log.flush();
      proc.exit(1);
      return;
    }
    void shutdown(`received ${signal}`);
  };
  const onInt = onSignal("SIGINT");
  const onTerm = onSignal("SIGTERM");
  proc.on("SIGINT", onInt);
  proc.on("SIGTERM", onTerm);

  const runCloser = async (name: string, closer: Closer): Promise<boolean> => {
    const start = performance.now();
    log.info({ closer: name }, "closing");
    try {
      await closer();
      log.info({ closer: name, ms: Math.round(performance.now() - start) }, "closed");
      return true;
    } catch (err) {
      log.error({ closer: name, err }, "closing failed");
      return false;
    }
  };

  const finish = (code: number) => {
    proc.off("SIGINT", onInt);
    proc.off("SIGTERM", onTerm);
    resolveDone();
    log.flush();
    proc.exit(code);
  };

  const shutdown = (reason: string): Promise<void> => {
    if (started !== undefined) return done;
    log.info({ reason, closers: closers.length }, "shutting down");
    let finished = false;
    const timer = setTimeout(() => {
      if (finished) return;
      finished = true;
      log.error({ timeoutMs }, "shutdown timed out");
      finish(1);
    }, timeoutMs);
    started = (async () => {
      let ok = true;
      for (const { name, closer } of [...closers].reverse()) {
        if (finished) return;
        if (!(await runCloser(name, closer))) ok = false;
      }
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      log.info({ clean: ok }, "shutdown complete");
      finish(ok ? 0 : 1);
    })();
    return done;
  };

  return {
    add(name, closer) {
      if (started !== undefined) {
        void runCloser(name, closer);
        return;
      }
      closers.push({ name, closer });
    },
    shutdown,
    done,
  };
}
