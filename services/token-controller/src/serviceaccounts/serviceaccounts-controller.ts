/**
 * The ServiceAccounts controller (reference §4.1, pkg/controller/serviceaccount/
 * serviceaccounts_controller.go): a `default` ServiceAccount in every active namespace, created
 * again (with a new uid) when deleted.
 *
 * Triggers: namespace add, namespace update (any, so resyncs re-check every namespace), and
 * ServiceAccount delete (queues the ServiceAccount's namespace). Work queue key: the namespace
 * name; failures retried with the default rate limiter, without limit.
 */
import type { corev1 } from "@tokenplane/proto";
import {
  type Clock,
  createWorkQueue,
  type Informer,
  type Logger,
  runWorkers,
  type WorkQueueOptions,
} from "@tokenplane/runtime";
import { applyLogged } from "../client/actions.js";
import type { ObjectClient } from "../client/object-client.js";
import { type Controller, waitForCacheSync } from "../controller.js";
import { ensureServiceAccounts, SERVICE_ACCOUNTS_TO_ENSURE } from "./ensure-service-accounts.js";

/** kube-controller-manager's name of this controller. */
export const SERVICE_ACCOUNTS_CONTROLLER_NAME = "serviceaccount-controller";
/** The work queue's name (its metrics label), as in Kubernetes. */
export const SERVICE_ACCOUNTS_QUEUE_NAME = "serviceaccount";

/** What the ServiceAccounts controller is built from. */
export interface ServiceAccountsControllerConfig {
  readonly namespaces: Informer<corev1.Namespace>;
  readonly serviceAccounts: Informer<corev1.ServiceAccount>;
  readonly client: ObjectClient;
  readonly clock: Clock;
  readonly log: Logger;
  /** Workers; default 1 (kube-controller-manager runs this controller with one). */
  readonly workers?: number;
  /** ServiceAccounts every namespace gets; default `["default"]`. */
  readonly serviceAccountsToEnsure?: readonly string[];
  /** Registers the work queue metrics. */
  readonly metrics?: WorkQueueOptions<string>["metrics"];
}

/** Builds the controller and registers its informer handlers (call before the informers start). */
export function newServiceAccountsController(config: ServiceAccountsControllerConfig): Controller {
  const { namespaces, serviceAccounts, client, clock } = config;
  const log = config.log.child({ controller: SERVICE_ACCOUNTS_CONTROLLER_NAME });
  const toEnsure = config.serviceAccountsToEnsure ?? SERVICE_ACCOUNTS_TO_ENSURE;
  const queue = createWorkQueue<string>({
    name: SERVICE_ACCOUNTS_QUEUE_NAME,
    clock,
    ...(config.metrics === undefined ? {} : { metrics: config.metrics }),
  });

  const nameOf = (o: { metadata?: { name: string } | undefined }) => o.metadata?.name ?? "";
  namespaces.onAdd((ns) => queue.add(nameOf(ns)));
  namespaces.onUpdate((_old, ns) => queue.add(nameOf(ns)));
  serviceAccounts.onDelete((sa) => queue.add(sa.metadata?.namespace ?? ""));

  /** syncNamespace: reconcile one namespace from the caches. */
  const syncNamespace = async (name: string): Promise<void> => {
    const actions = ensureServiceAccounts(
      namespaces.get("", name),
      (ns, saName) => serviceAccounts.get(ns, saName) !== undefined,
      toEnsure,
    );
    const failures: unknown[] = [];
    for (const action of actions) {
      try {
        await applyLogged(client, action, log);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1)
      throw new AggregateError(failures, `creating service accounts in ${name} failed`);
  };

  return {
    name: SERVICE_ACCOUNTS_CONTROLLER_NAME,
    async run(signal) {
      signal.addEventListener("abort", () => queue.shutDown(), { once: true });
      if (
        await waitForCacheSync(SERVICE_ACCOUNTS_CONTROLLER_NAME, [namespaces, serviceAccounts], {
          clock,
          log,
          signal,
        })
      ) {
        log.info({ workers: config.workers ?? 1 }, "starting workers");
        await runWorkers(queue, { workers: config.workers ?? 1, sync: syncNamespace, log, signal });
      }
      queue.shutDown();
    },
  };
}
