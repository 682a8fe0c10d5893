/**
 * The runtime's error types. Programmer misuse (a malformed flag schema, bad arguments) throws
 * `TypeError`/`RangeError`; what an operator can get wrong (flags, environment) throws
 * {@link ConfigError}. NATS failures are passed through as the `nats` client's own errors, since
 * callers retry them rather than inspect them.
 */

/** Stable codes of {@link ConfigError}. */
export type ConfigErrorCode =
  /** A `--flag` that the schema does not define. */
  | "ERR_CONFIG_UNKNOWN_FLAG"
  /** A non-bool flag given last or followed by another flag. */
  | "ERR_CONFIG_MISSING_VALUE"
  /** A value that does not parse as the flag's type (int, duration, bool, enum). */
  | "ERR_CONFIG_INVALID_VALUE"
  /** A positional argument: services take flags only. */
  | "ERR_CONFIG_UNEXPECTED_ARGUMENT";

/** A command line or environment that cannot be turned into a configuration. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** Stable code for programs. */
  readonly code: ConfigErrorCode;
  /** The flag concerned (without dashes), when there is one. */
  readonly flag: string | undefined;

  constructor(code: ConfigErrorCode, message: string, flag?: string) {
    super(message);
    this.code = code;
    this.flag = flag;
  }
}

/**
 * Thrown by `parseFlags` for `--help` / `-h`: not a failure. `main.ts` prints {@link help} to
 * stdout and exits 0.
 */
export class HelpRequested extends Error {
  override readonly name = "HelpRequested";
  readonly code = "ERR_HELP_REQUESTED";
  /** The rendered help text, ending in a newline. */
  readonly help: string;

  constructor(help: string) {
    super("help requested");
    this.help = help;
  }
}
