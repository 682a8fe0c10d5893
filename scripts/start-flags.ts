/** The launcher's flags (`pnpm start -- --help`). */
import { defineFlags } from "@tokenplane/runtime";

export const launcherFlags = defineFlags({
  "tokenplane-home": {
    type: "string",
    default: "./.tokenplane",
    env: "TOKENPLANE_HOME",
    help: "state directory: PKI, keys, admin.kubeconfig, the apiserver's store, NATS data",
  },
  "nats-url": {
    type: "string",
    default: "",
    env: "NATS_URL",
    help: "use this NATS server (with JetStream) instead of starting nats-server from PATH",
  },
  "nats-port": {
    type: "int",
    default: 4233,
    min: 1,
    max: 65535,
    unit: "port",
    help: "port of the nats-server the launcher starts",
  },
  "port-base": {
    type: "int",
    default: 0,
    min: 0,
    max: 65000,
    unit: "port",
    help: "when set, give the services consecutive ports from here instead of the defaults (6443-6448, 8443, 9101-9105)",
  },
  host: { type: "string", default: "127.0.0.1", help: "address every service listens on and is reached at" },
  only: { type: "stringSlice", default: [], help: "start only these services (comma-separated names)" },
  "service-account-issuer": {
    type: "stringArray",
    default: [],
    unit: "URL",
    help: "issuer of service-account tokens for the apiserver and oidc-discovery (repeatable, first signs); default https://<host>:<apiserver port>; use oidc-discovery's URL (https://<host>:8443) to let outside relying parties discover it",
  },
  "service-account-key-algorithm": {
    type: "enum",
    values: ["RS256", "ES256", "ES384", "ES512"],
    default: "RS256",
    help: "algorithm of the service-account signing key created on first start (RSA-2048 for RS256)",
  },
  "log-level": {
    type: "enum",
    values: ["trace", "debug", "info", "warn", "error"],
    default: "info",
    help: "log level of every service",
  },
});
