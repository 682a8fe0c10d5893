/**
 * The admission service: Kubernetes' ServiceAccount admission plugin behind a gRPC `Admit` that
 * the apiserver calls for every pod create and update. It reads ServiceAccounts from the
 * apiserver with its own certificate (a cache fed by events, a live read on a miss) and answers
 * only the apiserver. Flags: config.ts; behaviour: README.md.
 */
import { tokenplanev1 } from "@tokenplane/proto";
import { runService } from "@tokenplane/runtime";
import { admissionService, authorizeCallers } from "./admission-service.js";
import { admissionFlags } from "./config.js";
import { serviceAccountGetter } from "./plugin/index.js";
import { serviceAccountClient, startServiceAccountCache } from "./service-account-sources.js";

await runService(
  {
    name: "admission",
    summary:
      "The ServiceAccount admission plugin as a gRPC service: defaults a pod's service account, checks that it exists, mounts the projected token volume and copies imagePullSecrets.",
    flags: admissionFlags,
  },
  async (rt) => {
    const { objects } = rt.apiserver();
    const cache = startServiceAccountCache({
      objects,
      connectNats: () => rt.connectNats(),
      log: rt.log,
      metrics: rt.metrics,
    });
    rt.shutdown.add("serviceaccount cache", () => cache.stop());
    const getServiceAccount = serviceAccountGetter({
      lister: cache,
      client: serviceAccountClient(objects),
      sleep: (ms) => rt.clock.sleep(ms),
    });
    rt.grpc.addService(
      tokenplanev1.AdmissionService,
      admissionService({
        getServiceAccount,
        mountServiceAccountToken: rt.cfg.mountServiceAccountToken,
        limitSecretReferences: rt.cfg.limitSecretReferences,
        log: rt.log,
      }),
      { authorize: authorizeCallers(rt.cfg.authorizedCallers) },
    );
    return {};
  },
);
