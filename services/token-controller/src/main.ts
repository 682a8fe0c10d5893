/**
 * The token-controller: kube-controller-manager's loops that touch service accounts (the
 * ServiceAccounts controller, the tokens controller, the root CA publisher and the legacy token
 * cleaner), driven by the apiserver's lifecycle events on NATS and writing through its gRPC API
 * as `system:kube-controller-manager`. Flags: config.ts; behaviour: README.md.
 */
import { runService } from "@tokenplane/runtime";
import { grpcObjectClient } from "./client/object-client.js";
import { enabledControllers, readControllerFiles, tokenControllerFlags } from "./config.js";
import { createControllerManager } from "./controller-manager.js";

await runService(
  {
    name: "token-controller",
    summary:
      "kube-controller-manager's service account controllers: a default ServiceAccount in every namespace, legacy token Secrets filled and cleaned up, kube-root-ca.crt in every namespace, and the legacy token cleaner.",
    flags: tokenControllerFlags,
  },
  async (rt) => {
    const { cfg } = rt;
    const files = await readControllerFiles(cfg, rt.tls.caFile);
    const manager = createControllerManager({
      client: grpcObjectClient(rt.apiserver()),
      nats: await rt.connectNats(),
      clock: rt.clock,
      log: rt.log,
      metrics: rt.metrics,
      controllers: enabledControllers(cfg.controllers),
      signingKey: files.signingKey,
      rootCA: files.rootCA,
      tokenSyncWorkers: cfg.concurrentServiceaccountTokenSyncs,
      cleanUpPeriodMs: cfg.legacyServiceAccountTokenCleanUpPeriod,
      cleanerSyncIntervalMs: cfg.legacyServiceAccountTokenCleanerSyncInterval,
      minResyncPeriodMs: cfg.minResyncPeriod,
    });
    rt.shutdown.add("controllers", () => manager.stop());
    await manager.start();
    return { ready: () => manager.ready() };
  },
);
