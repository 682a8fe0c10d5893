/**
 * The tokens controller's work queue keys (reference §4.2, tokens_controller.go
 * `makeServiceAccountKey` / `makeSecretQueueKey`). Kubernetes keys by value structs; here the
 * queue identifies them by a JSON string of the same fields.
 */
import type { corev1 } from "@tokenplane/proto";
import { SERVICE_ACCOUNT_NAME_KEY, SERVICE_ACCOUNT_UID_KEY } from "./token-secret.js";

/** SA queue key: namespace, name and uid of the ServiceAccount. */
export interface ServiceAccountQueueKey {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** Secret queue key: the Secret and the ServiceAccount its annotations name (uid may be empty). */
export interface SecretQueueKey {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly saName: string;
  readonly saUID: string;
}

/** The SA queue key of a ServiceAccount. */
export function serviceAccountQueueKey(sa: corev1.ServiceAccount): ServiceAccountQueueKey {
  const m = sa.metadata;
  return { namespace: m?.namespace ?? "", name: m?.name ?? "", uid: m?.uid ?? "" };
}

/** The Secret queue key of a Secret (annotations read as they are now). */
export function secretQueueKey(secret: corev1.Secret): SecretQueueKey {
  const m = secret.metadata;
  return {
    namespace: m?.namespace ?? "",
    name: m?.name ?? "",
    uid: m?.uid ?? "",
    saName: m?.annotations[SERVICE_ACCOUNT_NAME_KEY] ?? "",
    saUID: m?.annotations[SERVICE_ACCOUNT_UID_KEY] ?? "",
  };
}

/** Identity of an SA queue key. */
export const serviceAccountKeyString = (k: ServiceAccountQueueKey): string =>
  JSON.stringify([k.namespace, k.name, k.uid]);

/** Identity of a Secret queue key. */
export const secretKeyString = (k: SecretQueueKey): string =>
  JSON.stringify([k.namespace, k.name, k.uid, k.saName, k.saUID]);
