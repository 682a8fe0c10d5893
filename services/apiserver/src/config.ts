/**
 * The apiserver's flags. Names are kube-apiserver's where the concept exists (DESIGN.md "Flags");
 * every flag is also settable as `TOKENPLANE_<FLAG_IN_UPPER_SNAKE>`. The common service flags
 * (state directory, NATS, listen address, TLS files, logging) come from the runtime.
 */
import { defineFlags } from "@tokenplane/runtime";

export const apiserverFlags = defineFlags({
  "grpc-port": {
    type: "int",
    default: 6444,
    min: 0,
    max: 65535,
    unit: "port",
    help: "port of the internal gRPC API (objects, tokens, access reviews, key set) and gRPC health; mutual TLS",
  },
  "secure-port": {
    type: "int",
    default: 6443,
    min: 0,
    max: 65535,
    unit: "port",
    help: "port of the Kubernetes HTTPS API that kubectl and client libraries use",
  },
  "external-hostname": {
    type: "string",
    default: "",
    unit: "host[:port]",
    help: "address clients reach the HTTPS API at, used to build the default jwks_uri; empty = <bind-address>:<secure-port>",
  },
  "service-account-issuer": {
    type: "stringArray",
    default: [],
    unit: "URL",
    help: "issuer of service-account tokens (repeatable): the first signs new tokens, all are accepted, for rotating the issuer without downtime",
  },
  "service-account-key-file": {
    type: "stringArray",
    default: [],
    unit: "path",
    help: "PEM file of public or private RSA/ECDSA keys that verify service-account tokens (repeatable; every key in every file is used, so keys can be rotated)",
  },
  "service-account-signing-key-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "PEM private key that signs service-account tokens",
  },
  "api-audiences": {
    type: "stringSlice",
    default: [],
    help: "audiences of the API (comma-separated); tokens must carry one of them; default: the --service-account-issuer values",
  },
  "service-account-jwks-uri": {
    type: "string",
    default: "",
    unit: "URL",
    help: "jwks_uri in the discovery document; must be https; default https://<external-hostname>/openid/v1/jwks",
  },
  "service-account-max-token-expiration": {
    type: "duration",
    default: 0,
    help: "longest lifetime a TokenRequest may ask for; longer requests are shortened with a warning; 0 = no limit, else between 1h and 2^32 s",
  },
  "service-account-extend-token-expiration": {
    type: "bool",
    default: true,
    help: "extend projected tokens asking for 3607 s to one year (with warnafter), as Kubernetes does to ease migration",
  },
  "service-account-lookup": {
    type: "bool",
    default: true,
    help: "check that the Secret of a legacy token still exists and holds that token",
  },
  "service-account-token-deletion-grace": {
    type: "duration",
    default: 60_000,
    help: "how long after an object's deletionTimestamp tokens bound to it still authenticate (Kubernetes: 60s; test-only override)",
  },
  "service-account-token-min-expiration": {
    type: "duration",
    default: 600_000,
    help: "shortest token lifetime TokenRequest and projected volumes accept (Kubernetes: 10m; test-only override for fast rotation)",
  },
  "token-success-cache-ttl": {
    type: "duration",
    default: 10_000,
    help: "how long a successful token authentication is cached (Kubernetes: 10s); failures are never cached; 0 disables the cache",
  },
  "anonymous-auth": {
    type: "bool",
    default: true,
    help: "treat requests without credentials as system:anonymous (RBAC then decides)",
  },
  "admission-address": {
    type: "string",
    default: "127.0.0.1:6445",
    unit: "host:port",
    help: "gRPC address of the ServiceAccount admission service; pod writes fail closed while it is unreachable; empty = admission disabled",
  },
  "admission-timeout": {
    type: "duration",
    default: 10_000,
    help: "how long a pod write waits for admission before failing",
  },
  "storage-backend": {
    type: "enum",
    values: ["file", "memory"],
    default: "file",
    help: "object store: file = embedded, durable, under --data-dir; memory = lost on exit (tests)",
  },
  "data-dir": {
    type: "string",
    default: "",
    unit: "path",
    help: "directory of the file store and the event outbox watermark; empty = <tokenplane-home>/data/apiserver",
  },
  "max-request-bytes": {
    type: "int",
    default: 3 * 1024 * 1024,
    min: 1024,
    unit: "bytes",
    help: "largest request body accepted (Kubernetes: 3 MiB); larger bodies get 413",
  },
});
