/**
 * The objects a service account token refers to, read from the registry (Kubernetes'
 * `tokengetter.go` reads informer listers first and falls back to a live GET; the registry here
 * is the store itself, so every read is live). A missing object rejects with the registry's
 * StatusError, whose message is Kubernetes' text (`serviceaccounts "x" not found`): the bound
 * validator returns the ServiceAccount getter's error verbatim (reference §1.5 step 2).
 */
import { msFromTime, resourceFor, type StoredObject } from "@tokenplane/apimachinery";
import type { ObjectRef, SecretRef, ServiceAccountRef, TokenObjectGetter } from "@tokenplane/crypto";
import type { corev1 } from "@tokenplane/proto";
import type { Registry } from "../registry/registry.js";

const SERVICE_ACCOUNTS = resourceFor("", "serviceaccounts")!;
const PODS = resourceFor("", "pods")!;
const SECRETS = resourceFor("", "secrets")!;
const NODES = resourceFor("", "nodes")!;

/** The `data` key of a service account token Secret holding the token (k8s.io/api core/v1). */
export const SECRET_TOKEN_KEY = "token";

function objectRef(object: StoredObject): ObjectRef {
  const deletion = msFromTime(object.metadata?.deletionTimestamp);
  return {
    uid: object.metadata?.uid ?? "",
    ...(deletion !== undefined ? { deletionTimestamp: deletion } : {}),
  };
}

/** A {@link TokenObjectGetter} over the registry: ServiceAccounts, Pods, Secrets and Nodes. */
export function createRegistryTokenGetter(registry: Registry): TokenObjectGetter {
  return {
    async getServiceAccount(namespace, name): Promise<ServiceAccountRef> {
      const sa = (await registry.get(SERVICE_ACCOUNTS, namespace, name)) as corev1.ServiceAccount;
      return { ...objectRef(sa), secrets: sa.secrets.map((s) => s.name) };
    },
    async getPod(namespace, name) {
      return objectRef(await registry.get(PODS, namespace, name));
    },
    async getSecret(namespace, name): Promise<SecretRef> {
      const secret = (await registry.get(SECRETS, namespace, name)) as corev1.Secret;
      const token = secret.data[SECRET_TOKEN_KEY];
      return {
        ...objectRef(secret),
        ...(token !== undefined ? { token } : {}),
        labels: secret.metadata?.labels ?? {},
      };
    },
    async getNode(name) {
      return objectRef(await registry.get(NODES, "", name));
    },
  };
}
