/**
 * The token-controller's flags: kube-controller-manager's names where the concept exists
 * (`--service-account-private-key-file`, `--root-ca-file`, `--concurrent-serviceaccount-token-syncs`,
 * `--legacy-service-account-token-clean-up-period`, `--min-resync-period`, `--controllers`), each
 * also settable as `TOKENPLANE_<FLAG_IN_UPPER_SNAKE>`. The common service flags (state directory,
 * NATS, listen address, TLS files, logging) and `--apiserver-grpc-address` come from the runtime.
 */
import { readFile } from "node:fs/promises";
import { parseSigningKeyPem, type SigningKey } from "@tokenplane/crypto";
import { apiserverClientFlags, type Config, commonFlags, defineFlags } from "@tokenplane/runtime";
import {
  DEFAULT_CLEAN_UP_PERIOD_MS,
  DEFAULT_CLEANER_SYNC_INTERVAL_MS,
} from "./legacy-cleaner/legacy-token-cleaner.js";
import { DEFAULT_TOKEN_SYNC_WORKERS } from "./tokens/tokens-controller.js";

const HOUR_MS = 60 * 60 * 1000;

/** The controllers this service runs, by kube-controller-manager name, with their `--controllers` aliases. */
export const CONTROLLERS = {
  "serviceaccount-controller": "serviceaccount",
  "serviceaccount-token-controller": "serviceaccount-token",
  "root-ca-certificate-publisher-controller": "root-ca-cert-publisher",
  "legacy-serviceaccount-token-cleaner-controller": "legacy-service-account-token-cleaner",
} as const;

/** A controller name. */
export type ControllerName = keyof typeof CONTROLLERS;

/** Everything the token-controller adds to (or changes in) the common flags. */
export const tokenControllerFlags = defineFlags({
  ...apiserverClientFlags,
  "grpc-port": { ...commonFlags["grpc-port"], default: 6446 },
  "metrics-port": { ...commonFlags["metrics-port"], default: 9103 },
  "service-account-private-key-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "PEM-encoded RSA or ECDSA private key that signs legacy service account tokens (the controller's own copy of the apiserver's signing key); empty = the tokens controller does not run",
  },
  "root-ca-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "root CA bundle (PEM) written to token Secrets' ca.crt and to every namespace's kube-root-ca.crt ConfigMap; empty = the bundle of --client-ca-file (the CA the apiserver is verified with)",
  },
  "concurrent-serviceaccount-token-syncs": {
    type: "int",
    default: DEFAULT_TOKEN_SYNC_WORKERS,
    min: 1,
    unit: "workers",
    help: "service account token objects (ServiceAccounts and token Secrets) synced concurrently: workers per tokens controller queue",
  },
  "legacy-service-account-token-clean-up-period": {
    type: "duration",
    default: DEFAULT_CLEAN_UP_PERIOD_MS,
    unit: "duration",
    help: "how long an auto-generated legacy service account token may go unused (since tracking started, and since its last use) before it is labelled invalid, and how long after that it is deleted; must be > 0",
  },
  "legacy-service-account-token-cleaner-sync-interval": {
    type: "duration",
    default: DEFAULT_CLEANER_SYNC_INTERVAL_MS,
    unit: "duration",
    help: "pause between two runs of the legacy service account token cleaner (Kubernetes' DefaultCleanerSyncInterval); must be > 0",
  },
  "min-resync-period": {
    type: "duration",
    default: 12 * HOUR_MS,
    unit: "duration",
    help: "each informer re-lists (and its controllers re-check every object) at a random period between this and twice this; 0 = never",
  },
  controllers: {
    type: "stringSlice",
    default: ["*"],
    unit: "names",
    help: "controllers to run: '*' = all, 'foo' enables foo, '-foo' disables it; names: serviceaccount-controller, serviceaccount-token-controller, root-ca-certificate-publisher-controller, legacy-serviceaccount-token-cleaner-controller (or their aliases serviceaccount, serviceaccount-token, root-ca-cert-publisher, legacy-service-account-token-cleaner)",
  },
});

/** The parsed flags of the service (common flags included). */
export type TokenControllerFlags = Config<typeof tokenControllerFlags & typeof commonFlags>;

/** The name of `name` or of its alias, if it is a controller of this service. */
function controllerNamed(name: string): ControllerName | undefined {
  for (const [canonical, alias] of Object.entries(CONTROLLERS)) {
    if (name === canonical || name === alias) return canonical as ControllerName;
  }
  return undefined;
}

/**
 * The enabled controllers for a `--controllers` list (kube-controller-manager's rules: a name or
 * `-name` decides for that controller, otherwise `*` enables every one). An unknown name throws
 * `"<name>" is not in the list of known controllers`.
 */
export function enabledControllers(list: readonly string[]): Set<ControllerName> {
  const explicit = new Map<ControllerName, boolean>();
  let star = false;
  for (const raw of list) {
    const item = raw.trim();
    if (item === "*") {
      star = true;
      continue;
    }
    const disable = item.startsWith("-");
    const name = controllerNamed(disable ? item.slice(1) : item);
    if (name === undefined) throw new RangeError(`"${item}" is not in the list of known controllers`);
    explicit.set(name, !disable);
  }
  const out = new Set<ControllerName>();
  for (const name of Object.keys(CONTROLLERS) as ControllerName[]) {
    if (explicit.get(name) ?? star) out.add(name);
  }
  return out;
}

/** What the files named by the flags hold. */
export interface ControllerFiles {
  /** The legacy-token signing key; undefined without `--service-account-private-key-file`. */
  readonly signingKey: SigningKey | undefined;
  /** The root CA bundle, PEM bytes. */
  readonly rootCA: Uint8Array;
}

/**
 * Reads the signing key and the root CA bundle (`--root-ca-file`, else `caFile`). Errors name the
 * flag and the file.
 */
export async function readControllerFiles(
  cfg: Pick<TokenControllerFlags, "serviceAccountPrivateKeyFile" | "rootCaFile">,
  caFile: string,
): Promise<ControllerFiles> {
  let signingKey: SigningKey | undefined;
  if (cfg.serviceAccountPrivateKeyFile !== "") {
    const path = cfg.serviceAccountPrivateKeyFile;
    try {
      signingKey = parseSigningKeyPem(await readFile(path));
    } catch (err) {
      throw new Error(`--service-account-private-key-file "${path}": ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const rootCAFile = cfg.rootCaFile !== "" ? cfg.rootCaFile : caFile;
  let rootCA: Uint8Array;
  try {
    rootCA = new Uint8Array(await readFile(rootCAFile));
  } catch (err) {
    throw new Error(`--root-ca-file "${rootCAFile}": ${(err as Error).message}`, { cause: err });
  }
  if (!new TextDecoder().decode(rootCA).includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error(`--root-ca-file "${rootCAFile}": no PEM certificate in it`);
  }
  return { signingKey, rootCA };
}
