/** A logger for unit tests that keeps its lines (parsed JSON) instead of printing them. */
import { createLogger, type Logger } from "@tokenplane/runtime";

/** The logger and the lines it wrote. */
export interface TestLogger {
  readonly log: Logger;
  readonly lines: Record<string, unknown>[];
}

/** A debug-level logger writing into `lines`. */
export function testLogger(): TestLogger {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: "test",
    level: "debug",
    pretty: false,
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines };
}
