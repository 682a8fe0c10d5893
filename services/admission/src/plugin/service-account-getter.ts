/**
 * The plugin's ServiceAccount lookup (reference §3.4): the informer cache first; on a miss a live
 * read, once, or up to 10 times for `default` because the ServiceAccounts controller may not have
 * created it yet in a new namespace; still missing → NotFound for resource `serviceaccount`.
 *
 * Pure: the cache, the live read, the sleep and the random source are passed in.
 */
import { isNotFound, newNotFound } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import { DefaultServiceAccountName } from "./constants.js";

/** The informer cache of ServiceAccounts (Kubernetes' `ServiceAccountLister`). */
export interface ServiceAccountLister {
  /** The cached account, or `undefined` when the cache has none. Other failures throw. */
  get(namespace: string, name: string): corev1.ServiceAccount | undefined;
}

/** A live read of a ServiceAccount from the apiserver (`client.CoreV1().ServiceAccounts(ns).Get`). */
export interface ServiceAccountClient {
  /** The stored account, or `undefined` when it does not exist. Other failures reject. */
  get(namespace: string, name: string): Promise<corev1.ServiceAccount | undefined>;
}

/** What {@link getServiceAccount} needs. */
export interface ServiceAccountGetterDeps {
  lister: ServiceAccountLister;
  client: ServiceAccountClient;
  /** Waits `ms` milliseconds between live reads. Default: a `setTimeout` promise. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform random number in [0, 1) choosing the retry interval. Default: `Math.random`. */
  random?: () => number;
}

/** Live reads for a name that is not `default`. */
export const LookupAttempts = 1;
/** Live reads for `default`, which the controller creates shortly after the namespace. */
export const DefaultServiceAccountLookupAttempts = 10;
/** Shortest pause between live reads, in milliseconds. */
export const MinRetryIntervalMs = 100;
/** Width of the random part of the pause, in milliseconds: the pause is 100–199 ms. */
export const RetryIntervalJitterMs = 100;

/** The function shape `admit` takes: the lookup with its dependencies bound. */
export type GetServiceAccount = (namespace: string, name: string) => Promise<corev1.ServiceAccount>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Returns the ServiceAccount `namespace/name`, following reference §3.4:
 * 1. the lister (cache) — a hit is returned, an error other than NotFound is thrown;
 * 2. on a miss, live reads: 1 attempt, or 10 when `name` is `default`, with one random interval
 *    of 100–199 ms (chosen once per lookup, as Kubernetes does) slept between attempts; an error
 *    other than NotFound is thrown at once;
 * 3. still missing → throws `newNotFound({group: "", resource: "serviceaccount"}, name)`, whose
 *    message is `serviceaccount "<name>" not found` (singular, as in Kubernetes).
 */
export async function getServiceAccount(
  deps: ServiceAccountGetterDeps,
  namespace: string,
  name: string,
): Promise<corev1.ServiceAccount> {
  try {
    const cached = deps.lister.get(namespace, name);
    if (cached) return cached;
  } catch (err) {
    // A getter may say "not there" by throwing NotFound instead of returning undefined.
    if (!isNotFound(err)) throw err;
  }

  const attempts = name === DefaultServiceAccountName ? DefaultServiceAccountLookupAttempts : LookupAttempts;
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? defaultSleep;
  // Kubernetes: rand.Int63n(100)+100 ms, drawn once and used for every pause of this lookup.
  // Clamped so that a random source returning exactly 1 (or a bad value) still stays in 100–199 ms.
  const jitter = Math.min(
    RetryIntervalJitterMs - 1,
    Math.max(0, Math.floor(random() * RetryIntervalJitterMs)),
  );
  const intervalMs = MinRetryIntervalMs + (Number.isNaN(jitter) ? 0 : jitter);
  for (let i = 0; i < attempts; i++) {
    if (i !== 0) await sleep(intervalMs);
    try {
      const live = await deps.client.get(namespace, name);
      if (live) return live;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  throw newNotFound({ group: "", resource: "serviceaccount" }, name);
}

/** Binds {@link getServiceAccount} to its dependencies, giving the function `admit` takes. */
export function serviceAccountGetter(deps: ServiceAccountGetterDeps): GetServiceAccount {
  return (namespace, name) => getServiceAccount(deps, namespace, name);
}
