/**
 * The kubelet-sim's flags. Names are the kubelet's where the concept exists (`--root-dir`,
 * `--node-labels`); every flag is also settable as `TOKENPLANE_<FLAG_IN_UPPER_SNAKE>`. The common
 * service flags (state directory, NATS, listen address, TLS files, logging) and
 * `--apiserver-grpc-address` come from the runtime. Simulated timings live in the behaviour file
 * (`behaviour/behaviour.ts`), not here.
 */
import { apiserverClientFlags, commonFlags, defineFlags } from "@tokenplane/runtime";

/** How workloads are chosen (see README "Workloads"). */
export const workloadModes = ["labelled", "all", "none"] as const;
/** One of {@link workloadModes}. */
export type WorkloadMode = (typeof workloadModes)[number];

/** The kubelet-sim's own flags, merged over the runtime's common flags. */
export const kubeletSimFlags = defineFlags({
  ...apiserverClientFlags,
  "grpc-port": { ...commonFlags["grpc-port"], default: 6447 },
  "metrics-port": { ...commonFlags["metrics-port"], default: 9104 },
  "apiserver-url": {
    type: "string",
    default: "https://127.0.0.1:6443",
    unit: "URL",
    help: "the apiserver's HTTPS (Kubernetes) API that simulated workloads call with their mounted token, verified with the mounted ca.crt",
  },
  "root-dir": {
    type: "string",
    default: "",
    unit: "path",
    help: "directory of the per-pod volume trees (pods/<uid>/volumes/kubernetes.io~projected/<volume>/...); empty = <tokenplane-home>/kubelet",
  },
  nodes: {
    type: "int",
    default: 1,
    min: 1,
    max: 100_000,
    unit: "nodes",
    help: "number of simulated nodes registered and run by this process",
  },
  "node-name-prefix": {
    type: "string",
    default: "kubelet-sim-",
    help: "node names are this prefix followed by the node's index from 0 (kubelet-sim-0, kubelet-sim-1, ...)",
  },
  "node-labels": {
    type: "stringSlice",
    default: [],
    unit: "key=value",
    help: "labels added to every simulated node (comma-separated, repeatable), over the behaviour file's",
  },
  "delete-nodes-on-shutdown": {
    type: "bool",
    default: false,
    help: "delete the Node objects when the process stops (their pods stay)",
  },
  "behaviour-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "YAML or JSON file with the simulated pod and node behaviour (timings, capacity, heartbeat); empty = the built-in defaults",
  },
  "max-concurrent-token-requests": {
    type: "int",
    default: 32,
    min: 1,
    max: 10_000,
    unit: "requests",
    help: "TokenRequests in flight at once, across all pods; more wait in line",
  },
  "max-concurrent-api-calls": {
    type: "int",
    default: 32,
    min: 1,
    max: 10_000,
    unit: "calls",
    help: "other apiserver calls in flight at once (bindings, pod status, deletion confirmations, node status, reads)",
  },
  workloads: {
    type: "enum",
    values: workloadModes,
    default: "labelled",
    help: "which pods run a simulated workload: labelled = pods with label or annotation tokenplane.io/workload=true, all, none",
  },
  "workload-interval": {
    type: "duration",
    default: 10_000,
    help: "how often each simulated workload calls the apiserver (POST selfsubjectreviews) with its mounted token",
  },
});
