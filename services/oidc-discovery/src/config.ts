/**
 * The flags of oidc-discovery (on top of the runtime's common flags: `--bind-address`,
 * `--tls-cert-file`, `--tls-private-key-file`, `--client-ca-file`, `--nats-url`, ...). Names are
 * kube-apiserver's where the concept exists (`--secure-port`, `--service-account-issuer`,
 * `--service-account-jwks-uri`, `--service-account-key-file`, `--external-hostname`).
 */
import { apiserverClientFlags, defineFlags } from "@tokenplane/runtime";

/** The service's own flags (merged over the runtime's common flags by `runService`). */
export const oidcDiscoveryFlags = defineFlags({
  ...apiserverClientFlags,
  "secure-port": {
    type: "int",
    default: 8443,
    min: 0,
    max: 65535,
    unit: "port",
    help: "port of the HTTPS server that serves /.well-known/openid-configuration and /openid/v1/jwks; 0 picks a free port",
  },
  "https-bind-address": {
    type: "string",
    default: "",
    unit: "IP address",
    help: "address the HTTPS server listens on (e.g. 0.0.0.0 to face relying parties while gRPC and metrics stay on --bind-address); empty = --bind-address",
  },
  "https-cert-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "certificate (PEM, with its chain) served to relying parties; empty = --tls-cert-file (the component's cluster-CA certificate)",
  },
  "https-private-key-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "private key (PEM) of --https-cert-file; empty = --tls-private-key-file",
  },
  "service-account-issuer": {
    type: "stringArray",
    default: [],
    unit: "URL",
    help: "issuer of the service-account tokens (repeatable, as kube-apiserver's; the first is the discovery document's issuer and must equal the tokens' iss byte for byte: an https URL without query or fragment)",
  },
  "service-account-jwks-uri": {
    type: "string",
    default: "",
    unit: "URL",
    help: "jwks_uri written in the discovery document (https); empty = https://<external-hostname>:<secure-port>/openid/v1/jwks, i.e. this service",
  },
  "external-hostname": {
    type: "string",
    default: "",
    unit: "host name or IP address",
    help: "host relying parties reach this service at, for the default jwks_uri; empty = the HTTPS bind address, or the machine's host name when that is 0.0.0.0 or ::",
  },
  "service-account-key-file": {
    type: "stringArray",
    default: [],
    unit: "path",
    help: "standalone mode: PEM file of public or private RSA/ECDSA keys to publish (repeatable; every key of every file, in order; re-read on SIGHUP and when a file changes); empty = keys from the apiserver's KeySetService",
  },
  "key-file-check-interval": {
    type: "duration",
    default: 5_000,
    help: "standalone mode: how often the key files' modification times are checked",
  },
  "key-set-resync-interval": {
    type: "duration",
    default: 60_000,
    help: "apiserver mode: how often the key set is fetched again even without a change event (covers a missed NATS message)",
  },
});

/** The schema of {@link oidcDiscoveryFlags}. */
export type OidcDiscoveryFlags = typeof oidcDiscoveryFlags;
