/**
 * The root CA publisher (reference §4.3, pkg/controller/certificates/rootcacertpublisher/
 * publisher.go): `kube-root-ca.crt` in every namespace, restored when deleted or changed.
 *
 * Triggers: namespace add; namespace update only while the namespace is Active; update or delete
 * of a ConfigMap named `kube-root-ca.crt` (its namespace is queued). Work queue key: the namespace
 * name (queue `root_ca_cert_publisher`); failures retried with the default rate limiter, without
 * limit.
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
import { ROOT_CA_CONFIGMAP_NAME, rootCAConfigMapActions } from "./root-ca-configmap.js";

/** kube-controller-manager's name of this controller. */
export const ROOT_CA_PUBLISHER_NAME = "root-ca-certificate-publisher-controller";
/** The work queue's name (its metrics label), as in Kubernetes. */
export const ROOT_CA_QUEUE_NAME = "root_ca_cert_publisher";

/** What the publisher is built from. */
export interface RootCAPublisherConfig {
  readonly namespaces: Informer<corev1.Namespace>;
  readonly configMaps: Informer<corev1.ConfigMap>;
  readonly client: ObjectClient;
  /** The root CA bundle, PEM. */
  readonly rootCA: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Workers; default 1 (kube-controller-manager runs the publisher with one). */
  readonly workers?: number;
  /** Registers the work queue metrics. */
  readonly metrics?: WorkQueueOptions<string>["metrics"];
}

/** Builds the publisher and registers its informer handlers (call before the informers start). */
export function newRootCAPublisher(config: RootCAPublisherConfig): Controller {
  const { namespaces, configMaps, client, clock, rootCA } = config;
  const log = config.log.child({ controller: ROOT_CA_PUBLISHER_NAME });
  const workers = config.workers ?? 1;
  const queue = createWorkQueue<string>({
    name: ROOT_CA_QUEUE_NAME,
    clock,
    ...(config.metrics === undefined ? {} : { metrics: config.metrics }),
  });

  const queueConfigMap = (cm: corev1.ConfigMap) => {
    if (cm.metadata?.name === ROOT_CA_CONFIGMAP_NAME) queue.add(cm.metadata.namespace);
  };
  configMaps.onUpdate((_old, cm) => queueConfigMap(cm));
  configMaps.onDelete(queueConfigMap);
  namespaces.onAdd((ns) => queue.add(ns.metadata?.name ?? ""));
  namespaces.onUpdate((_old, ns) => {
    if (ns.status?.phase === "Active") queue.add(ns.metadata?.name ?? "");
  });

  const syncNamespace = async (namespace: string): Promise<void> => {
    for (const action of rootCAConfigMapActions(
      namespace,
      configMaps.get(namespace, ROOT_CA_CONFIGMAP_NAME),
      rootCA,
    )) {
      await applyLogged(client, action, log);
    }
  };

  return {
    name: ROOT_CA_PUBLISHER_NAME,
    async run(signal) {
      signal.addEventListener("abort", () => queue.shutDown(), { once: true });
      if (await waitForCacheSync("crt configmap", [namespaces, configMaps], { clock, log, signal })) {
        log.info({ workers }, "starting workers");
        await runWorkers(queue, { workers, sync: syncNamespace, log, signal });
      }
      queue.shutDown();
    },
  };
}
