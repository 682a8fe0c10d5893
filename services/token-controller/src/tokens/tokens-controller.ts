/**
 * The tokens controller (reference §4.2, pkg/controller/serviceaccount/tokens_controller.go,
 * current: it no longer creates token Secrets, it services the ones users create):
 *
 * - ServiceAccount queue (add / update / delete, key {namespace, name, uid}): when that
 *   ServiceAccount is gone from the cache, delete its token Secrets (uid preconditions).
 * - Secret queue (Secrets of type `kubernetes.io/service-account-token`; key {namespace, name,
 *   uid, saName, saUID} from the annotations):
 *   - Secret gone: if its ServiceAccount exists, remove the Secret from `sa.secrets`
 *     (RetryOnConflict: 10 attempts 100 ms apart with jitter);
 *   - Secret there, ServiceAccount missing (cache, then a live read) or of another uid: delete the
 *     Secret (uid precondition);
 *   - otherwise fill in `ca.crt`, `namespace` and `token` as needed, after a live read of the
 *     Secret: when its resourceVersion is not the cached one the cache is behind and the sync is
 *     skipped (the update event brings it back). The annotations are always set to the
 *     ServiceAccount's name and uid.
 * - `workers` workers per queue (`--concurrent-serviceaccount-token-syncs`); failures that merit a
 *   retry are retried with the default rate limiter up to 10 times.
 */
import { isConflict, isNotFound } from "@tokenplane/apimachinery";
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
import { REMOVE_TOKEN_BACKOFF, retryOnConflict } from "../retry-on-conflict.js";
import type { TokenGenerator } from "./legacy-token-generator.js";
import {
  type SecretQueueKey,
  type ServiceAccountQueueKey,
  secretKeyString,
  secretQueueKey,
  serviceAccountKeyString,
  serviceAccountQueueKey,
} from "./queue-keys.js";
import {
  deleteTokenAction,
  deleteTokensActions,
  nothingNeeded,
  populateTokenSecret,
  SERVICE_ACCOUNT_TOKEN_SECRET_TYPE,
  secretUpdateNeeded,
  withoutSecretReference,
} from "./token-secret.js";

/** kube-controller-manager's name of this controller. */
export const TOKENS_CONTROLLER_NAME = "serviceaccount-token-controller";
/** Work queue names (metrics labels), as in Kubernetes. */
export const SERVICE_ACCOUNT_QUEUE_NAME = "serviceaccount_tokens_service";
export const SECRET_QUEUE_NAME = "serviceaccount_tokens_secret";
/** Retries of one key before it is given up (TokensControllerOptions.MaxRetries default). */
export const DEFAULT_MAX_RETRIES = 10;
/** `--concurrent-serviceaccount-token-syncs` default. */
export const DEFAULT_TOKEN_SYNC_WORKERS = 5;

/** What the tokens controller is built from. */
export interface TokensControllerConfig {
  readonly serviceAccounts: Informer<corev1.ServiceAccount>;
  readonly secrets: Informer<corev1.Secret>;
  readonly client: ObjectClient;
  /** Signs legacy tokens. */
  readonly generateToken: TokenGenerator;
  /** Root CA bundle (PEM bytes) for `ca.crt`; empty = `ca.crt` is not managed. */
  readonly rootCA: Uint8Array;
  readonly clock: Clock;
  readonly log: Logger;
  /** Workers per queue; default 5. */
  readonly workers?: number;
  /** Retries per key; default 10. */
  readonly maxRetries?: number;
  /** Registers the work queue metrics. */
  readonly metrics?: WorkQueueOptions<string>["metrics"];
  /** Jitter source of the RetryOnConflict pauses; default `Math.random`. */
  readonly random?: () => number;
}

/** Builds the controller and registers its informer handlers (call before the informers start). */
export function newTokensController(config: TokensControllerConfig): Controller {
  const { serviceAccounts, secrets, client, clock, rootCA, generateToken } = config;
  const log = config.log.child({ controller: TOKENS_CONTROLLER_NAME });
  const workers = config.workers ?? DEFAULT_TOKEN_SYNC_WORKERS;
  const maxRetries = config.maxRetries ?? DEFAULT_MAX_RETRIES;
  const metrics = config.metrics === undefined ? {} : { metrics: config.metrics };
  const saQueue = createWorkQueue<ServiceAccountQueueKey>({
    name: SERVICE_ACCOUNT_QUEUE_NAME,
    key: serviceAccountKeyString,
    clock,
    ...metrics,
  });
  const secretQueue = createWorkQueue<SecretQueueKey>({
    name: SECRET_QUEUE_NAME,
    key: secretKeyString,
    clock,
    ...metrics,
  });

  const queueSA = (sa: corev1.ServiceAccount) => saQueue.add(serviceAccountQueueKey(sa));
  serviceAccounts.onAdd(queueSA);
  serviceAccounts.onUpdate((_old, sa) => queueSA(sa));
  serviceAccounts.onDelete(queueSA);
  // The Secret informer caches every Secret; this controller only looks at token Secrets.
  const queueSecret = (secret: corev1.Secret) => {
    if (secret.type === SERVICE_ACCOUNT_TOKEN_SECRET_TYPE) secretQueue.add(secretQueueKey(secret));
  };
  secrets.onAdd(queueSecret);
  secrets.onUpdate((_old, secret) => queueSecret(secret));
  secrets.onDelete(queueSecret);

  /** getServiceAccount: the cached one when its uid matches (or none is asked), else maybe a live read. */
  const getServiceAccount = async (
    namespace: string,
    name: string,
    uid: string,
    fetchOnCacheMiss: boolean,
  ): Promise<corev1.ServiceAccount | undefined> => {
    const cached = serviceAccounts.get(namespace, name);
    if (cached !== undefined && (uid === "" || uid === cached.metadata?.uid)) return cached;
    if (!fetchOnCacheMiss) return undefined;
    let live: corev1.ServiceAccount;
    try {
      live = await client.get("serviceaccounts", namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    return uid === "" || uid === live.metadata?.uid ? live : undefined;
  };

  /** getSecret without the live fallback: the cached Secret when its uid matches. */
  const getCachedSecret = (key: SecretQueueKey): corev1.Secret | undefined => {
    const cached = secrets.get(key.namespace, key.name);
    return cached !== undefined && (key.uid === "" || key.uid === cached.metadata?.uid) ? cached : undefined;
  };

  const syncServiceAccount = async (key: ServiceAccountQueueKey): Promise<void> => {
    if ((await getServiceAccount(key.namespace, key.name, key.uid, false)) !== undefined) return;
    // The ServiceAccount (with that uid) no longer exists: delete its tokens.
    log.debug(
      { namespace: key.namespace, serviceAccount: key.name },
      "service account deleted, removing tokens",
    );
    const failures: unknown[] = [];
    for (const action of deleteTokensActions(key, secrets.list(key.namespace))) {
      try {
        await applyLogged(client, action, log);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new AggregateError(failures, `deleting tokens of ${key.namespace}/${key.name} failed`);
    }
  };

  /** removeSecretReference, on a fresh copy of the ServiceAccount. */
  const removeSecretReference = async (key: SecretQueueKey): Promise<void> => {
    let sa: corev1.ServiceAccount;
    try {
      sa = await client.get("serviceaccounts", key.namespace, key.saName);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const updated = withoutSecretReference(sa, key.saUID, key.name);
    if (updated === undefined) return;
    try {
      await client.update("serviceaccounts", updated);
      log.info(
        { namespace: key.namespace, serviceAccount: key.saName, secret: key.name },
        "removed secret reference",
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };

  /** generateTokenIfNeeded. */
  const generateTokenIfNeeded = async (sa: corev1.ServiceAccount, cached: corev1.Secret): Promise<void> => {
    if (nothingNeeded(secretUpdateNeeded(cached, rootCA))) return;
    const namespace = cached.metadata?.namespace ?? "";
    const name = cached.metadata?.name ?? "";
    let live: corev1.Secret;
    try {
      live = await client.get("secrets", namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (live.metadata?.resourceVersion !== cached.metadata?.resourceVersion) {
      // The cache is behind; the update event for the newer version brings the key back.
      log.debug({ namespace, secret: name }, "secret is not up to date, skipping token population");
      return;
    }
    let updated: corev1.Secret | undefined;
    try {
      updated = populateTokenSecret(live, sa, rootCA, generateToken);
    } catch (err) {
      // Signing failures are not retried (Kubernetes returns retry=false).
      log.error({ err, namespace, secret: name }, "generating the token failed");
      return;
    }
    if (updated === undefined) return;
    try {
      await client.update("secrets", updated);
      log.info(
        { namespace, secret: name, serviceAccount: sa.metadata?.name },
        "populated service account token secret",
      );
    } catch (err) {
      // Conflict: someone else updated it, an event follows. NotFound: it is gone.
      if (isConflict(err) || isNotFound(err)) return;
      throw err;
    }
  };

  const syncSecret = async (key: SecretQueueKey): Promise<void> => {
    if (key.saName === "") {
      log.error(
        { namespace: key.namespace, secret: key.name },
        "invalid secret key: no service account name",
      );
      return;
    }
    const secret = getCachedSecret(key);
    if (secret === undefined) {
      // The Secret is gone: drop it from its ServiceAccount's secrets, if that still exists.
      const sa = await getServiceAccount(key.namespace, key.saName, key.saUID, false);
      if (sa === undefined) return;
      try {
        await retryOnConflict(clock, REMOVE_TOKEN_BACKOFF, () => removeSecretReference(key), config.random);
      } catch (err) {
        log.error({ err, namespace: key.namespace, secret: key.name }, "removing secret reference failed");
      }
      return;
    }
    const sa = await getServiceAccount(key.namespace, key.saName, key.saUID, true);
    if (sa === undefined) {
      log.debug(
        { namespace: key.namespace, secret: key.name },
        "service account does not exist, deleting token",
      );
      await applyLogged(client, deleteTokenAction(key.namespace, key.name, key.uid), log);
      return;
    }
    await generateTokenIfNeeded(sa, secret);
  };

  return {
    name: TOKENS_CONTROLLER_NAME,
    async run(signal) {
      const shutDown = () => {
        saQueue.shutDown();
        secretQueue.shutDown();
      };
      signal.addEventListener("abort", shutDown, { once: true });
      if (await waitForCacheSync("tokens", [serviceAccounts, secrets], { clock, log, signal })) {
        log.info({ workers }, "starting workers");
        await Promise.all([
          runWorkers(saQueue, { workers, sync: syncServiceAccount, maxRetries, log, signal }),
          runWorkers(secretQueue, { workers, sync: syncSecret, maxRetries, log, signal }),
        ]);
      }
      shutDown();
    },
  };
}
