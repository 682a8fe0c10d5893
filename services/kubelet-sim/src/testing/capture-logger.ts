/**
 * A logger for unit tests that keeps its JSON lines in memory, so a test can assert what was
 * logged (and that no token was).
 */
import { createLogger, type Logger } from "@tokenplane/runtime";

/** A logger and the parsed lines it wrote. */
export interface CapturedLog {
  readonly log: Logger;
  readonly lines: Array<Record<string, unknown>>;
  /** The `msg` of every line. */
  messages(): string[];
}

/** A debug-level logger writing into memory. */
export function captureLogger(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    service: "kubelet-sim-test",
    level: "debug",
    pretty: false,
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { log, lines, messages: () => lines.map((l) => String(l.msg)) };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = createLogger({
  service: "kubelet-sim-test",
  level: "silent",
  pretty: false,
});
