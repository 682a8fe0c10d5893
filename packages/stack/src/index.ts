/**
 * @tokenplane/stack: how the control plane is laid out on disk and started — the state
 * directory contract, the cluster PKI bootstrap, kubeconfig files, the per-service command lines,
 * and child-process supervision. Shared by `pnpm start` and the end-to-end harness.
 */
export * from "./cluster-state.js";
export * from "./components.js";
export * from "./identities.js";
export * from "./kubeconfig.js";
export * from "./layout.js";
export * from "./nats-process.js";
export * from "./service-process.js";
