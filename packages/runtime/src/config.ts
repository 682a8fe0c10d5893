/**
 * Service configuration: one typed flag schema per service (STYLE.md §7), read once from the
 * command line and the environment. Flag syntax follows Go's pflag as kube-apiserver uses it
 * (`--flag value`, `--flag=value`, bare `--flag` for bools, repeatable list flags), and names
 * reuse Kubernetes' where the concept exists (DESIGN.md "Flags").
 *
 * ```ts
 * const schema = defineFlags({
 *   "secure-port": { type: "int", default: 6443, help: "port for the HTTPS API", unit: "port" },
 * });
 * const cfg = parseFlags(schema, { program: "apiserver", summary: "..." });
 * cfg.securePort; // number
 * ```
 */
import { formatDuration, parseDuration } from "./duration.js";
import { ConfigError, HelpRequested } from "./errors.js";

interface FlagBase {
  /** One line saying what the flag does (lower case, no trailing period needed). */
  readonly help: string;
  /** Unit shown in the help (`port`, `seconds`, `bytes`, ...); durations always show Go syntax. */
  readonly unit?: string;
  /** Environment variable; default `TOKENPLANE_<FLAG_IN_UPPER_SNAKE>`. */
  readonly env?: string;
}

/** A whole number (`--secure-port 6443`), optionally bounded by `min` / `max` (inclusive). */
export interface IntFlag extends FlagBase {
  readonly type: "int";
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
}
/** Free text. */
export interface StringFlag extends FlagBase {
  readonly type: "string";
  readonly default: string;
}
/** `--flag` / `--flag=true` / `--flag=false` (Go `strconv.ParseBool` spellings). */
export interface BoolFlag extends FlagBase {
  readonly type: "bool";
  readonly default: boolean;
}
/** A Go duration (`1h30m`, `10s`, `500ms`); the value and default are milliseconds. */
export interface DurationFlag extends FlagBase {
  readonly type: "duration";
  readonly default: number;
}
/** Repeatable; each occurrence is one element, commas kept (pflag `StringArray`). */
export interface StringArrayFlag extends FlagBase {
  readonly type: "stringArray";
  readonly default: readonly string[];
}
/** Repeatable and comma-separated (pflag `StringSlice`). */
export interface StringSliceFlag extends FlagBase {
  readonly type: "stringSlice";
  readonly default: readonly string[];
}
/** One of a fixed set of words. */
export interface EnumFlag extends FlagBase {
  readonly type: "enum";
  readonly values: readonly string[];
  readonly default: string;
}

/** Any flag definition. */
export type FlagSpec =
  | IntFlag
  | StringFlag
  | BoolFlag
  | DurationFlag
  | StringArrayFlag
  | StringSliceFlag
  | EnumFlag;
/** A service's flags by kebab-case name. */
export type FlagSchema = Readonly<Record<string, FlagSpec>>;

/** `secure-port` → `securePort`. */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S;

/** The parsed type of one flag. */
export type FlagValue<F extends FlagSpec> = F extends { readonly type: "int" | "duration" }
  ? number
  : F extends { readonly type: "bool" }
    ? boolean
    : F extends { readonly type: "stringArray" | "stringSlice" }
      ? readonly string[]
      : F extends { readonly type: "enum"; readonly values: readonly (infer V)[] }
        ? V
        : string;

/** The parsed configuration of a schema: camelCase keys, frozen. */
export type Config<S extends FlagSchema> = {
  readonly [K in keyof S & string as CamelCase<K>]: FlagValue<S[K]>;
};

/** Options of {@link parseFlags}. */
export interface ParseFlagsOptions {
  /** Program name for the usage line (`apiserver`). */
  readonly program: string;
  /** One paragraph shown under the usage line. */
  readonly summary: string;
  /** Arguments without node and script; default `process.argv.slice(2)`. */
  readonly argv?: readonly string[];
  /** Environment; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const FLAG_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const TRUE = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const FALSE = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/**
 * Declares a flag schema. Returns it unchanged, with literal types kept (enum values become a
 * union), after checking it: kebab-case names, no `help` flag, enum defaults among the values,
 * int defaults within bounds, distinct environment names. A bad schema throws `TypeError`.
 */
export function defineFlags<const S extends FlagSchema>(schema: S): S {
  const envs = new Map<string, string>();
  for (const [name, spec] of Object.entries(schema)) {
    if (!FLAG_NAME.test(name)) throw new TypeError(`flag name must be kebab-case: "${name}"`);
    if (name === "help") throw new TypeError(`flag "help" is reserved`);
    if (spec.type === "enum" && !spec.values.includes(spec.default)) {
      throw new TypeError(
        `default "${spec.default}" of flag --${name} is not one of: ${spec.values.join(", ")}`,
      );
    }
    if (spec.type === "int") {
      if (!Number.isSafeInteger(spec.default))
        throw new TypeError(`default of flag --${name} is not an integer`);
      const reason = outOfRange(spec, spec.default);
      if (reason !== undefined) throw new TypeError(`default of flag --${name} is ${reason}`);
    }
    const env = envName(name, spec);
    const other = envs.get(env);
    if (other !== undefined)
      throw new TypeError(`flags --${other} and --${name} share environment variable ${env}`);
    envs.set(env, name);
  }
  return schema;
}

/**
 * Reads the configuration: for each flag, the command line wins over the environment, which wins
 * over the default. List flags given several times accumulate; the first occurrence replaces the
 * default (as pflag does). List values from the environment are comma-separated. An empty
 * environment variable counts as unset. The result and its arrays are frozen.
 *
 * @throws {HelpRequested} for `--help` / `-h`, carrying the rendered help.
 * @throws {ConfigError} for unknown flags, missing or invalid values and positional arguments.
 */
export function parseFlags<S extends FlagSchema>(schema: S, options: ParseFlagsOptions): Config<S> {
  const argv = options.argv ?? process.argv.slice(2);
  const env = options.env ?? process.env;
  const fromArgv = new Map<string, unknown>();

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") throw new HelpRequested(formatHelp(schema, options));
    if (!arg.startsWith("--") || arg === "--") {
      throw new ConfigError(
        "ERR_CONFIG_UNEXPECTED_ARGUMENT",
        `unexpected argument "${arg}": only flags are accepted`,
      );
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = Object.hasOwn(schema, name) ? schema[name] : undefined;
    if (spec === undefined) throw new ConfigError("ERR_CONFIG_UNKNOWN_FLAG", `unknown flag: --${name}`, name);
    let raw: string;
    if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else if (spec.type === "bool") {
      raw = "true";
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) {
        throw new ConfigError("ERR_CONFIG_MISSING_VALUE", `flag needs an argument: --${name}`, name);
      }
      raw = next;
      i++;
    }
    const value = convert(name, spec, raw, `flag --${name}`);
    const previous = fromArgv.get(name);
    if (Array.isArray(previous) && Array.isArray(value)) previous.push(...value);
    else fromArgv.set(name, value);
  }

  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    let value = fromArgv.get(name);
    if (value === undefined) {
      const variable = envName(name, spec);
      const raw = env[variable];
      if (raw !== undefined && raw !== "") {
        value = convert(name, spec, raw, `environment variable ${variable} (flag --${name})`, true);
      }
    }
    if (value === undefined) value = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    out[camelCase(name)] = Array.isArray(value) ? Object.freeze(value) : value;
  }
  return Object.freeze(out) as Config<S>;
}

/**
 * Renders the help: usage line, summary, then one line per flag with its type, help, unit,
 * default and environment variable.
 */
export function formatHelp(
  schema: FlagSchema,
  options: Pick<ParseFlagsOptions, "program" | "summary">,
): string {
  const rows: Array<[string, string]> = Object.entries(schema).map(([name, spec]) => {
    const details = [
      ...(spec.unit === undefined ? [] : [`unit: ${spec.unit}`]),
      `default: ${formatDefault(spec)}`,
      `env: ${envName(name, spec)}`,
    ];
    return [`--${name} ${typeName(spec)}`, `${spec.help} (${details.join("; ")})`];
  });
  rows.push(["-h, --help", "show this help and exit"]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
  return `Usage: ${options.program} [flags]\n\n${options.summary}\n\nFlags:\n${lines.join("\n")}\n`;
}

/** The environment variable of a flag: its `env`, else `TOKENPLANE_<FLAG_IN_UPPER_SNAKE>`. */
export function envName(name: string, spec: FlagSpec): string {
  return spec.env ?? `TOKENPLANE_${name.toUpperCase().replaceAll("-", "_")}`;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function typeName(spec: FlagSpec): string {
  switch (spec.type) {
    case "stringSlice":
      return "strings";
    case "enum":
      return spec.values.join("|");
    default:
      return spec.type;
  }
}

function formatDefault(spec: FlagSpec): string {
  switch (spec.type) {
    case "duration":
      return formatDuration(spec.default);
    case "stringArray":
    case "stringSlice":
      return `[${spec.default.join(",")}]`;
    case "string":
      return JSON.stringify(spec.default);
    default:
      return String(spec.default);
  }
}

function outOfRange(spec: IntFlag, n: number): string | undefined {
  if (spec.min !== undefined && n < spec.min) return `below the minimum ${spec.min}`;
  if (spec.max !== undefined && n > spec.max) return `above the maximum ${spec.max}`;
  return undefined;
}

/** Converts one raw value; `where` names the source in errors; `fromEnv` splits arrays on commas. */
function convert(name: string, spec: FlagSpec, raw: string, where: string, fromEnv = false): unknown {
  const invalid = (reason: string) =>
    new ConfigError("ERR_CONFIG_INVALID_VALUE", `invalid value "${raw}" for ${where}: ${reason}`, name);
  switch (spec.type) {
    case "int": {
      if (!/^[-+]?\d+$/.test(raw)) throw invalid("not an integer");
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw invalid("integer out of range");
      const reason = outOfRange(spec, n);
      if (reason !== undefined) throw invalid(reason);
      return n;
    }
    case "bool":
      if (TRUE.has(raw)) return true;
      if (FALSE.has(raw)) return false;
      throw invalid("not a boolean (use true or false)");
    case "duration": {
      const parsed = parseDuration(raw);
      if ("error" in parsed) throw invalid("not a duration (use Go syntax such as 1h30m, 10s, 500ms)");
      return parsed.value;
    }
    case "enum":
      if (!spec.values.includes(raw)) throw invalid(`must be one of: ${spec.values.join(", ")}`);
      return raw;
    case "string":
      return raw;
    case "stringArray":
      return fromEnv ? splitList(raw) : [raw];
    case "stringSlice":
      return splitList(raw);
  }
}

function splitList(raw: string): string[] {
  return raw === "" ? [] : raw.split(",").map((s) => s.trim());
}
