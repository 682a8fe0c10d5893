/**
 * The admission service's flags. The plugin options keep the names of Kubernetes' ServiceAccount
 * plugin fields (`MountServiceAccountToken`, `LimitSecretReferences`, reference §3) and their
 * defaults; every flag is also settable as `TOKENPLANE_<FLAG_IN_UPPER_SNAKE>`. The common service
 * flags (state directory, NATS, listen address, TLS files, logging) and
 * `--apiserver-grpc-address` come from the runtime.
 */
import { apiserverClientFlags, commonFlags, defineFlags } from "@tokenplane/runtime";

/** The user of the apiserver's client certificate (packages/stack identities). */
export const APISERVER_USER = "tokenplane:apiserver";

/** Everything the admission service adds to (or changes in) the common flags. */
export const admissionFlags = defineFlags({
  ...apiserverClientFlags,
  "grpc-port": {
    ...commonFlags["grpc-port"],
    default: 6445,
    help: "port of the Admit gRPC API and gRPC health (mutual TLS); 0 picks a free port",
  },
  "metrics-port": {
    ...commonFlags["metrics-port"],
    default: 9102,
  },
  "mount-service-account-token": {
    type: "bool",
    default: true,
    help: "inject the projected token volume (kube-api-access-xxxxx) and its mounts into new pods whose automount setting allows it (Kubernetes' MountServiceAccountToken)",
  },
  "limit-secret-references": {
    type: "bool",
    default: false,
    help: "refuse pods that use secrets their service account does not list, for every account, as if each carried kubernetes.io/enforce-mountable-secrets=true (Kubernetes' LimitSecretReferences)",
  },
  "authorized-callers": {
    type: "stringSlice",
    default: [APISERVER_USER],
    unit: "user names",
    help: "client-certificate users (CN) allowed to call Admit, comma-separated; everyone else gets 403",
  },
});
