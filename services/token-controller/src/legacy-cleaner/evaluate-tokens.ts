/**
 * The legacy token cleaner's decision for one run (reference §4.5,
 * pkg/controller/serviceaccount/legacy_serviceaccount_token_cleaner.go `evaluateSATokens`), as a
 * pure function of the time, the tracking ConfigMap and the cached Secrets, ServiceAccounts and
 * pods. Auto-generated legacy tokens (listed in their ServiceAccount's `secrets`) that nobody used
 * or mounted for a whole clean-up period are first labelled invalid, and deleted once the label is
 * a clean-up period old. Manually created tokens are never touched.
 */
import { msFromTime, podReferencesSecret, utcDate } from "@tokenplane/apimachinery";
import { INVALID_SINCE_LABEL_KEY, LAST_USED_LABEL_KEY } from "@tokenplane/crypto";
import type { corev1 } from "@tokenplane/proto";
import type { Action } from "../client/actions.js";
import {
  SERVICE_ACCOUNT_NAME_KEY,
  SERVICE_ACCOUNT_TOKEN_SECRET_TYPE,
  SERVICE_ACCOUNT_UID_KEY,
} from "../tokens/token-secret.js";

/** The ConfigMap the apiserver's tracking controller maintains (legacytokentracking.ConfigMapName). */
export const TRACKING_CONFIGMAP_NAMESPACE = "kube-system";
export const TRACKING_CONFIGMAP_NAME = "kube-apiserver-legacy-service-account-token-tracking";
/** Its data key: the UTC date tracking started (ConfigMapDataKey). */
export const TRACKING_CONFIGMAP_KEY = "since";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Go's `time.Parse("2006-01-02", s)` for the dates in labels and the tracking ConfigMap: exactly
 * `YYYY-MM-DD` naming a real calendar day; milliseconds of that day's 00:00 UTC, or undefined.
 */
export function parseDate(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  // Date.UTC rolls 02-30 over into March; Go refuses it ("day out of range").
  return utcDate(ms) === s ? ms : undefined;
}

/**
 * latestPossibleTrackedSinceTime: 00:00 UTC of the day after the tracking ConfigMap's `since`
 * (tokens were tracked for whole days only from then on), or the reason it cannot be known.
 */
export function latestPossibleTrackedSince(
  configMap: corev1.ConfigMap,
): { readonly value: number } | { readonly error: string } {
  const since = configMap.data[TRACKING_CONFIGMAP_KEY];
  if (since === undefined) return { error: "configMap does not have since label" };
  const ms = parseDate(since);
  if (ms === undefined) {
    return {
      error: `error parsing trackedSince time: parsing time "${since}" as "2006-01-02": cannot parse`,
    };
  }
  return { value: ms + DAY_MS };
}

/** Why a Secret is left alone in a run. */
export type KeepReason =
  | "not-a-token"
  | "created-recently"
  | "being-deleted"
  | "last-used-unparsable"
  | "used-recently"
  | "manual-or-orphaned"
  | "mounted-by-pod"
  | "invalid-recently";

/** What a run decided for one token Secret. */
export type Decision =
  | { readonly secret: string; readonly keep: KeepReason }
  | { readonly secret: string; readonly action: Action };

/** What one run looks at. */
export interface CleanerInput {
  /** Current time, milliseconds since the epoch. */
  readonly now: number;
  /** `--legacy-service-account-token-clean-up-period`, milliseconds (> 0). */
  readonly cleanUpPeriodMs: number;
  /** From {@link latestPossibleTrackedSince}. */
  readonly trackedSince: number;
  /** Every cached Secret. */
  readonly secrets: readonly corev1.Secret[];
  /** The cached ServiceAccount, if any. */
  readonly getServiceAccount: (namespace: string, name: string) => corev1.ServiceAccount | undefined;
  /** The cached pods of a namespace. */
  readonly podsIn: (namespace: string) => readonly corev1.Pod[];
}

/** The outcome of one run: skipped as a whole, or a decision per token Secret. */
export type CleanerRun =
  | { readonly skipped: "not-tracked-long-enough" }
  | { readonly skipped?: undefined; readonly decisions: readonly Decision[] };

/**
 * evaluateSATokens:
 * 1. now < trackedSince + period → skip the run (tracking has not covered a whole period yet).
 * 2. preserveCreatedOnOrAfter = now − period; preserveUsedOnOrAfter = UTC date of (now − period).
 * 3. For each Secret of the token type, keep it when: created at or after
 *    preserveCreatedOnOrAfter; being deleted; its last-used label is unparsable or, as a string,
 *    ≥ preserveUsedOnOrAfter; its ServiceAccount (annotation name, and uid when set) is not cached
 *    or does not list it in `secrets` (a manual token); any pod of its namespace references it.
 * 4. Invalid-since label missing or unparsable → merge-patch it to today (uid in the patch as a
 *    precondition).
 * 5. Invalid-since ≥ preserveUsedOnOrAfter → keep; else delete it with its resourceVersion as
 *    precondition (Conflict and NotFound are fine: it changed or went away meanwhile).
 */
export function evaluateLegacyTokens(input: CleanerInput): CleanerRun {
  const { now, cleanUpPeriodMs: period } = input;
  if (now < input.trackedSince + period) return { skipped: "not-tracked-long-enough" };
  const preserveCreatedOnOrAfter = now - period;
  const preserveUsedOnOrAfter = utcDate(now - period);
  const today = utcDate(now);
  const decisions: Decision[] = [];
  for (const secret of input.secrets) {
    if (secret.type !== SERVICE_ACCOUNT_TOKEN_SECRET_TYPE) continue;
    const m = secret.metadata;
    const namespace = m?.namespace ?? "";
    const name = m?.name ?? "";
    const id = `${namespace}/${name}`;
    const keep = (reason: KeepReason) => decisions.push({ secret: id, keep: reason });
    // Kubernetes keeps whole seconds in creationTimestamp; "not before" = at or after.
    if ((msFromTime(m?.creationTimestamp) ?? 0) >= preserveCreatedOnOrAfter) {
      keep("created-recently");
      continue;
    }
    if (m?.deletionTimestamp !== undefined) {
      keep("being-deleted");
      continue;
    }
    // No last-used label: not used since tracking started.
    const lastUsed = m?.labels[LAST_USED_LABEL_KEY];
    if (lastUsed !== undefined) {
      if (parseDate(lastUsed) === undefined) {
        keep("last-used-unparsable");
        continue;
      }
      if (lastUsed >= preserveUsedOnOrAfter) {
        keep("used-recently");
        continue;
      }
    }
    const saName = m?.annotations[SERVICE_ACCOUNT_NAME_KEY] ?? "";
    const saUID = m?.annotations[SERVICE_ACCOUNT_UID_KEY] ?? "";
    const sa = saName === "" ? undefined : input.getServiceAccount(namespace, saName);
    const saMatches = sa !== undefined && (saUID === "" || saUID === sa.metadata?.uid);
    // Only auto-generated tokens (listed in sa.secrets) are cleaned; a manual token is never touched.
    if (!saMatches || !sa.secrets.some((ref) => ref.name === name)) {
      keep("manual-or-orphaned");
      continue;
    }
    if (input.podsIn(namespace).some((pod) => podReferencesSecret(pod, name))) {
      keep("mounted-by-pod");
      continue;
    }
    const invalidSince = m?.labels[INVALID_SINCE_LABEL_KEY];
    if (invalidSince === undefined || parseDate(invalidSince) === undefined) {
      decisions.push({ secret: id, action: invalidSincePatch(namespace, name, m?.uid ?? "", today) });
      continue;
    }
    if (invalidSince >= preserveUsedOnOrAfter) {
      keep("invalid-recently");
      continue;
    }
    decisions.push({
      secret: id,
      action: {
        verb: "delete",
        resource: "secrets",
        namespace,
        name,
        preconditions: { resourceVersion: m?.resourceVersion ?? "" },
        tolerate: ["Conflict", "NotFound"],
      },
    });
  }
  return { decisions };
}

/**
 * The merge patch that marks a token invalid: the marshalled apply configuration
 * `applyv1.Secret(name, namespace).WithUID(uid).WithLabels({invalid-since: date})`; the uid makes
 * the patch fail if the Secret was replaced. Failures are only logged.
 */
export function invalidSincePatch(namespace: string, name: string, uid: string, date: string): Action {
  const patch = JSON.stringify({
    kind: "Secret",
    apiVersion: "v1",
    metadata: { name, namespace, uid, labels: { [INVALID_SINCE_LABEL_KEY]: date } },
  });
  return { verb: "patch", resource: "secrets", namespace, name, patch, tolerate: [] };
}
