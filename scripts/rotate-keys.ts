/**
 * `pnpm rotate-keys <add|promote|retire|status>`: rotates the service-account signing key of a
 * tokenplane state directory without restarting anything (services/oidc-discovery/README.md,
 * "Key rotation"):
 *
 *   add      new key pair; its public half joins the verification keys (sa.pub), the private
 *            half waits in pki/sa.next.key. The JWKS now lists both keys.
 *   promote  the waiting key becomes the signing key (sa.key): new tokens carry its kid, tokens
 *            of the old key still verify.
 *   retire   only the signing key stays in sa.pub: tokens of the old key stop verifying.
 *   status   the keys and their roles.
 *
 * The apiserver re-reads its key files when they change (and on SIGHUP), announces the new key
 * set on NATS, and oidc-discovery publishes it. `--wait-jwks-url` makes the command wait until a
 * JWKS (e.g. oidc-discovery's) lists exactly the new verification keys.
 *
 * The rotation logic lives with oidc-discovery (services/oidc-discovery/src/rotation), loaded
 * here by path like the launcher loads services, because the root package only depends on
 * @tokenplane/runtime and @tokenplane/stack.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, defineFlags, HelpRequested, parseFlags } from "@tokenplane/runtime";
import { clusterLayout, repoRoot } from "@tokenplane/stack";

const commands = ["add", "promote", "retire", "status"] as const;
type Command = (typeof commands)[number];
const algorithms = ["RS256", "ES256", "ES384", "ES512"] as const;
type Algorithm = (typeof algorithms)[number];

const flags = defineFlags({
  "tokenplane-home": {
    type: "string",
    default: "./.tokenplane",
    env: "TOKENPLANE_HOME",
    unit: "path",
    help: "state directory whose pki/sa.key (signing) and pki/sa.pub (verification keys) are rotated",
  },
  algorithm: {
    type: "string",
    default: "",
    help: "add: algorithm of the new key, RS256 (RSA-2048), ES256, ES384 or ES512; empty = the signing key's",
  },
  "wait-jwks-url": {
    type: "string",
    default: "",
    unit: "URL",
    help: "after the change, wait until this JWKS lists exactly the verification keys (e.g. https://127.0.0.1:8443/openid/v1/jwks, oidc-discovery under pnpm start)",
  },
  "wait-timeout": { type: "duration", default: 60_000, help: "how long --wait-jwks-url waits" },
  "ca-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "CA bundle trusted for --wait-jwks-url; empty = <tokenplane-home>/pki/ca.crt",
  },
});

/** What services/oidc-discovery/src/rotation/rotate-key-files.ts exports (loaded by path). */
interface RotationModule {
  rotateKeys(options: {
    command: Command;
    signingKeyFile: string;
    verificationKeyFile: string;
    pendingKeyFile: string;
    algorithm?: Algorithm;
    waitJwksUrl?: string;
    ca?: string;
    waitTimeoutMs?: number;
    out: (line: string) => void;
  }): Promise<unknown>;
}

const summary =
  "Rotate the service-account signing key: add (publish a new key), promote (sign with it), retire (drop the old keys), status.";

function usage(): string {
  return `Usage: pnpm rotate-keys <${commands.join("|")}> [flags]\nRun 'pnpm rotate-keys --help' for the flags.\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  let cfg: ReturnType<typeof parseFlags<typeof flags>>;
  try {
    cfg = parseFlags(flags, {
      program: `pnpm rotate-keys <${commands.join("|")}>`,
      summary,
      argv: first?.startsWith("-") ? argv : rest,
    });
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.help}\n`);
      return 0;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`rotate-keys: ${err.message}\n${usage()}`);
      return 2;
    }
    throw err;
  }
  if (first === undefined || !(commands as readonly string[]).includes(first)) {
    process.stderr.write(
      `rotate-keys: ${first === undefined ? "a command is required" : `unknown command "${first}"`}\n${usage()}`,
    );
    return 2;
  }
  if (cfg.algorithm !== "" && !(algorithms as readonly string[]).includes(cfg.algorithm)) {
    process.stderr.write(
      `rotate-keys: invalid value "${cfg.algorithm}" for flag --algorithm: must be one of ${algorithms.join(", ")}\n`,
    );
    return 2;
  }
  const layout = clusterLayout(cfg.tokenplaneHome);
  const entry = path.join(repoRoot, "services", "oidc-discovery", "src", "rotation", "rotate-key-files.ts");
  const { rotateKeys } = (await import(pathToFileURL(entry).href)) as RotationModule;
  const caFile = cfg.caFile || layout.ca.cert;
  try {
    await rotateKeys({
      command: first as Command,
      signingKeyFile: layout.serviceAccountKey,
      verificationKeyFile: layout.serviceAccountPub,
      pendingKeyFile: path.join(layout.pkiDir, "sa.next.key"),
      ...(cfg.algorithm === "" ? {} : { algorithm: cfg.algorithm as Algorithm }),
      ...(cfg.waitJwksUrl === ""
        ? {}
        : {
            waitJwksUrl: cfg.waitJwksUrl,
            ca: await readFile(caFile, "utf8"),
            waitTimeoutMs: cfg.waitTimeout,
          }),
      out: (line) => process.stdout.write(`${line}\n`),
    });
  } catch (err) {
    process.stderr.write(`rotate-keys: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
