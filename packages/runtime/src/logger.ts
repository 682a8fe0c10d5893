/**
 * The one logger of every service (STYLE.md §8): pino, JSON lines in production and pretty
 * colourised lines on a terminal; secrets redacted once here; `service` and the current trace
 * (`trace_id`, `span_id`, `request_id`) on every line.
 */
import { type DestinationStream, type LevelWithSilent, type Logger as PinoLogger, pino } from "pino";
import PinoPretty from "pino-pretty";
import { EXACT_REDACT_PATHS, REDACTED, redactNested, redactSecrets } from "./redact.js";
import { currentTrace } from "./trace.js";

/** The logger type every package and service passes around (pino's). */
export type Logger = PinoLogger;

/** Log levels, most verbose first; `silent` logs nothing. */
export type LogLevel = LevelWithSilent;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Service name, written as `service` on every line (`apiserver`). */
  readonly service: string;
  /** Minimum level written; default `info`. */
  readonly level?: LogLevel;
  /** Human-readable colourised output instead of JSON; default `process.stdout.isTTY`. */
  readonly pretty?: boolean;
  /** Where lines go; default stdout. Anything with `write(line: string)`. */
  readonly destination?: DestinationStream;
}

/**
 * Creates a service logger.
 *
 * Secrets are kept out three ways: fields named in `REDACT_PATHS` are replaced with
 * `[REDACTED]` (exact paths by pino's `redact`, `*.` paths by `redactNested`); a `logMethod`
 * hook scrubs JWT-shaped tokens and PEM private keys from string arguments and error messages;
 * and, because a token can also sit in free text inside an object (a nested message, an error's
 * stack or cause), the serialized line is scrubbed once more before it is written
 * (`streamWrite`, cheap when the line holds no `eyJ` or `PRIVATE KEY`).
 */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  const stream: DestinationStream | undefined = pretty
    ? PinoPretty({
        colorize: true,
        sync: true,
        destination: options.destination ?? 1,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
      })
    : options.destination;
  const logger = pino(
    {
      level: options.level ?? "info",
      base: { service: options.service, pid: process.pid },
      // REDACT_PATHS, split for speed: exact paths by pino, `*.` paths by redactNested.
      redact: { paths: [...EXACT_REDACT_PATHS], censor: REDACTED },
      formatters: { log: redactNested, bindings: redactNested },
      mixin() {
        const t = currentTrace();
        return t === undefined ? {} : { trace_id: t.traceId, span_id: t.spanId, request_id: t.requestId };
      },
      hooks: {
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) {
            const a: unknown = args[i];
            if (typeof a === "string") args[i] = redactSecrets(a);
            else if (a instanceof Error) args[i] = scrubError(a);
          }
          method.apply(this, args);
        },
        streamWrite: redactSecrets,
      },
    },
    stream,
  );
  return logger;
}

/** A copy of `err` (same prototype and own properties) with secrets removed from its strings. */
function scrubError(err: Error): Error {
  const dirty = (s: unknown) => typeof s === "string" && redactSecrets(s) !== s;
  if (!dirty(err.message) && !dirty(err.stack)) return err;
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error;
  for (const key of Reflect.ownKeys(err)) {
    const d = Object.getOwnPropertyDescriptor(err, key);
    if (d === undefined) continue;
    if (typeof d.value === "string") d.value = redactSecrets(d.value);
    Object.defineProperty(copy, key, d);
  }
  return copy;
}
