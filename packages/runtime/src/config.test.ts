import { describe, expect, expectTypeOf, it } from "vitest";
import { defineFlags, envName, formatHelp, parseFlags } from "./config.js";
import { ConfigError, HelpRequested } from "./errors.js";

const schema = defineFlags({
  "secure-port": {
    type: "int",
    default: 6443,
    help: "port for the HTTPS API",
    unit: "port",
    min: 0,
    max: 65535,
  },
  "service-account-issuer": {
    type: "stringArray",
    default: [],
    help: "issuer identifier; repeatable, first signs",
  },
  "api-audiences": { type: "stringSlice", default: ["api"], help: "accepted audiences" },
  "service-account-max-token-expiration": { type: "duration", default: 0, help: "maximum token lifetime" },
  "service-account-extend-token-expiration": { type: "bool", default: true, help: "extend token lifetime" },
  "log-level": {
    type: "enum",
    values: ["trace", "debug", "info", "warn", "error"],
    default: "info",
    help: "minimum level logged",
  },
  "tokenplane-home": {
    type: "string",
    default: "./.tokenplane",
    env: "TOKENPLANE_HOME",
    help: "state directory",
  },
});

const base = { program: "apiserver", summary: "The tokenplane API server." };
const parse = (argv: string[], env: Record<string, string> = {}) =>
  parseFlags(schema, { ...base, argv, env });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseFlags", () => {
  it("returns defaults with camelCase keys", () => {
    expect(parse([])).toEqual({
      securePort: 6443,
      serviceAccountIssuer: [],
      apiAudiences: ["api"],
      serviceAccountMaxTokenExpiration: 0,
      serviceAccountExtendTokenExpiration: true,
      logLevel: "info",
      tokenplaneHome: "./.tokenplane",
    });
  });

  it("types the result", () => {
    const cfg = parse([]);
    expectTypeOf(cfg.securePort).toEqualTypeOf<number>();
    expectTypeOf(cfg.serviceAccountIssuer).toEqualTypeOf<readonly string[]>();
    expectTypeOf(cfg.serviceAccountExtendTokenExpiration).toEqualTypeOf<boolean>();
    expectTypeOf(cfg.logLevel).toEqualTypeOf<"trace" | "debug" | "info" | "warn" | "error">();
    expectTypeOf(cfg.tokenplaneHome).toEqualTypeOf<string>();
  });

  it("accepts --flag value and --flag=value", () => {
    const cfg = parse([
      "--secure-port",
      "8443",
      "--service-account-max-token-expiration=1h30m",
      "--log-level=debug",
      "--tokenplane-home",
      "/var/lib/tp",
    ]);
    expect(cfg.securePort).toBe(8443);
    expect(cfg.serviceAccountMaxTokenExpiration).toBe(5_400_000);
    expect(cfg.logLevel).toBe("debug");
    expect(cfg.tokenplaneHome).toBe("/var/lib/tp");
  });

  it("takes bare bools as true and --flag=false as false", () => {
    expect(
      parse(["--service-account-extend-token-expiration=false"]).serviceAccountExtendTokenExpiration,
    ).toBe(false);
    expect(parse(["--service-account-extend-token-expiration"]).serviceAccountExtendTokenExpiration).toBe(
      true,
    );
    expect(parse(["--service-account-extend-token-expiration=0"]).serviceAccountExtendTokenExpiration).toBe(
      false,
    );
  });

  it("accumulates stringArray occurrences without splitting, replacing the default", () => {
    const cfg = parse(["--service-account-issuer", "https://a,b", "--service-account-issuer=https://c"]);
    expect(cfg.serviceAccountIssuer).toEqual(["https://a,b", "https://c"]);
  });

  it("splits and accumulates stringSlice, replacing the default", () => {
    expect(parse(["--api-audiences", "x,y", "--api-audiences=z"]).apiAudiences).toEqual(["x", "y", "z"]);
    expect(parse(["--api-audiences="]).apiAudiences).toEqual([]);
  });

  it("reads the environment under the default and the custom names", () => {
    const cfg = parse([], {
      TOKENPLANE_SECURE_PORT: "9443",
      TOKENPLANE_SERVICE_ACCOUNT_ISSUER: "https://a,https://b",
      TOKENPLANE_API_AUDIENCES: "p, q",
      TOKENPLANE_SERVICE_ACCOUNT_MAX_TOKEN_EXPIRATION: "10s",
      TOKENPLANE_SERVICE_ACCOUNT_EXTEND_TOKEN_EXPIRATION: "false",
      TOKENPLANE_LOG_LEVEL: "warn",
      TOKENPLANE_HOME: "/tmp/h",
    });
    expect(cfg).toEqual({
      securePort: 9443,
      serviceAccountIssuer: ["https://a", "https://b"],
      apiAudiences: ["p", "q"],
      serviceAccountMaxTokenExpiration: 10_000,
      serviceAccountExtendTokenExpiration: false,
      logLevel: "warn",
      tokenplaneHome: "/tmp/h",
    });
  });

  it("lets flags win over the environment and ignores empty variables", () => {
    const cfg = parse(["--secure-port=1"], { TOKENPLANE_SECURE_PORT: "2", TOKENPLANE_LOG_LEVEL: "" });
    expect(cfg.securePort).toBe(1);
    expect(cfg.logLevel).toBe("info");
  });

  it("freezes the result and its lists", () => {
    const cfg = parse(["--service-account-issuer=a"]);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.serviceAccountIssuer)).toBe(true);
    expect(Object.isFrozen(cfg.apiAudiences)).toBe(true);
  });

  it("does not share the default array between results", () => {
    expect(parse([]).apiAudiences).not.toBe(schema["api-audiences"].default);
  });

  const errors: Array<[string, string[], Record<string, string>, string, string]> = [
    ["unknown flag", ["--nope=1"], {}, "ERR_CONFIG_UNKNOWN_FLAG", "unknown flag: --nope"],
    [
      "single dash",
      ["-secure-port=1"],
      {},
      "ERR_CONFIG_UNEXPECTED_ARGUMENT",
      `unexpected argument "-secure-port=1": only flags are accepted`,
    ],
    [
      "positional",
      ["serve"],
      {},
      "ERR_CONFIG_UNEXPECTED_ARGUMENT",
      `unexpected argument "serve": only flags are accepted`,
    ],
    [
      "missing value at end",
      ["--secure-port"],
      {},
      "ERR_CONFIG_MISSING_VALUE",
      "flag needs an argument: --secure-port",
    ],
    [
      "missing value before a flag",
      ["--log-level", "--secure-port=1"],
      {},
      "ERR_CONFIG_MISSING_VALUE",
      "flag needs an argument: --log-level",
    ],
    [
      "bad int",
      ["--secure-port", "abc"],
      {},
      "ERR_CONFIG_INVALID_VALUE",
      `invalid value "abc" for flag --secure-port: not an integer`,
    ],
    [
      "fractional int",
      ["--secure-port=1.5"],
      {},
      "ERR_CONFIG_INVALID_VALUE",
      `invalid value "1.5" for flag --secure-port: not an integer`,
    ],
    [
      "int above max",
      ["--secure-port=70000"],
      {},
      "ERR_CONFIG_INVALID_VALUE",
      `invalid value "70000" for flag --secure-port: above the maximum 65535`,
    ],
    [
      "bad duration",
      ["--service-account-max-token-expiration=1d"],
      {},
      "ERR_CONFIG_INVALID_VALUE",
      `invalid value "1d" for flag --service-account-max-token-expiration: not a duration (use Go syntax such as 1h30m, 10s, 500ms)`,
    ],
    [
      "bad bool",
      ["--service-account-extend-token-expiration=yes"],
      {},
      "ERR_CONFIG_INVALID_VALUE",
      `invalid value "yes" for flag --service-account-extend-token-expiration: not a boolean (use true or false)`,
    ],
    [
      "bad enum",
      ["--log-level=loud"],
      {},
      "ERR_CONFIG_INVALID_VALUE",
      `invalid value "loud" for flag --log-level: must be one of: trace, debug, info, warn, error`,
    ],
    [
      "bad env value",
      [],
      { TOKENPLANE_SECURE_PORT: "x1" },
      "ERR_CONFIG_INVALID_VALUE",
      `invalid value "x1" for environment variable TOKENPLANE_SECURE_PORT (flag --secure-port): not an integer`,
    ],
  ];
  it.each(errors)("rejects %s", (_name, argv, env, code, message) => {
    const err = configError(() => parse(argv, env));
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
  });

  it("names the flag on the error", () => {
    expect(configError(() => parse(["--secure-port=x"])).flag).toBe("secure-port");
  });

  it("throws HelpRequested for --help and -h, even after other flags", () => {
    for (const argv of [["--help"], ["-h"], ["--secure-port=1", "--help"]]) {
      let thrown: unknown;
      try {
        parse(argv);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(HelpRequested);
      expect(thrown).not.toBeInstanceOf(ConfigError);
      expect((thrown as HelpRequested).help).toBe(formatHelp(schema, base));
    }
  });
});

describe("formatHelp", () => {
  it("renders usage, summary and one line per flag", () => {
    expect(formatHelp(schema, base)).toBe(
      [
        "Usage: apiserver [flags]",
        "",
        "The tokenplane API server.",
        "",
        "Flags:",
        "  --secure-port int                                port for the HTTPS API (unit: port; default: 6443; env: TOKENPLANE_SECURE_PORT)",
        "  --service-account-issuer stringArray             issuer identifier; repeatable, first signs (default: []; env: TOKENPLANE_SERVICE_ACCOUNT_ISSUER)",
        "  --api-audiences strings                          accepted audiences (default: [api]; env: TOKENPLANE_API_AUDIENCES)",
        "  --service-account-max-token-expiration duration  maximum token lifetime (default: 0s; env: TOKENPLANE_SERVICE_ACCOUNT_MAX_TOKEN_EXPIRATION)",
        "  --service-account-extend-token-expiration bool   extend token lifetime (default: true; env: TOKENPLANE_SERVICE_ACCOUNT_EXTEND_TOKEN_EXPIRATION)",
        "  --log-level trace|debug|info|warn|error          minimum level logged (default: info; env: TOKENPLANE_LOG_LEVEL)",
        `  --tokenplane-home string                         state directory (default: "./.tokenplane"; env: TOKENPLANE_HOME)`,
        "  -h, --help                                       show this help and exit",
        "",
      ].join("\n"),
    );
  });
});

describe("defineFlags", () => {
  it("rejects malformed schemas", () => {
    expect(() => defineFlags({ Port: { type: "int", default: 1, help: "" } })).toThrow(
      new TypeError(`flag name must be kebab-case: "Port"`),
    );
    expect(() => defineFlags({ help: { type: "bool", default: false, help: "" } })).toThrow(
      `flag "help" is reserved`,
    );
    expect(() => defineFlags({ l: { type: "enum", values: ["a"], default: "b", help: "" } })).toThrow(
      `default "b" of flag --l is not one of: a`,
    );
    expect(() => defineFlags({ p: { type: "int", default: 0, min: 1, help: "" } })).toThrow(
      "default of flag --p is below the minimum 1",
    );
    expect(() =>
      defineFlags({
        a: { type: "string", default: "", help: "", env: "X" },
        b: { type: "string", default: "", help: "", env: "X" },
      }),
    ).toThrow("flags --a and --b share environment variable X");
  });

  it("derives environment names", () => {
    expect(envName("secure-port", { type: "int", default: 1, help: "" })).toBe("TOKENPLANE_SECURE_PORT");
    expect(envName("x", { type: "int", default: 1, help: "", env: "NATS_URL" })).toBe("NATS_URL");
  });
});
