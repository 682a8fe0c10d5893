/**
 * The legacy token cleaner (reference §4.5, pkg/controller/serviceaccount/
 * legacy_serviceaccount_token_cleaner.go): every sync interval (24 h by default) it reads the
 * tracking ConfigMap live, evaluates every cached token Secret ({@link evaluateLegacyTokens}) and
 * applies the decisions: unused auto-generated tokens get the invalid-since label, and are deleted
 * one clean-up period (365 days by default) later. Failures are logged; the next run tries again.
 */
import type { corev1 } from "@tokenplane/proto";
import type { Clock, Informer, Logger } from "@tokenplane/runtime";
import { applyLogged } from "../client/actions.js";
import type { ObjectClient } from "../client/object-client.js";
import { type Controller, waitForCacheSync } from "../controller.js";
import {
  type CleanerRun,
  evaluateLegacyTokens,
  latestPossibleTrackedSince,
  TRACKING_CONFIGMAP_NAME,
  TRACKING_CONFIGMAP_NAMESPACE,
} from "./evaluate-tokens.js";

/** kube-controller-manager's name of this controller. */
export const LEGACY_TOKEN_CLEANER_NAME = "legacy-serviceaccount-token-cleaner-controller";
/** DefaultCleanerSyncInterval: 24 h, milliseconds. */
export const DEFAULT_CLEANER_SYNC_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Default `--legacy-service-account-token-clean-up-period`: 365 days, milliseconds. */
export const DEFAULT_CLEAN_UP_PERIOD_MS = 365 * 24 * 60 * 60 * 1000;

/** What the cleaner is built from. */
export interface LegacyTokenCleanerConfig {
  readonly serviceAccounts: Informer<corev1.ServiceAccount>;
  readonly secrets: Informer<corev1.Secret>;
  readonly pods: Informer<corev1.Pod>;
  readonly client: ObjectClient;
  readonly clock: Clock;
  readonly log: Logger;
  /** Pause between runs, milliseconds (> 0); default 24 h. */
  readonly syncIntervalMs?: number;
  /** Unused this long, milliseconds (> 0): labelled invalid, and deleted this long after; default 365 days. */
  readonly cleanUpPeriodMs?: number;
}

/** The cleaner, plus one run on demand (tests). */
export interface LegacyTokenCleaner extends Controller {
  /** One evaluation and its writes; resolves with what was decided (undefined when the tracking ConfigMap was unusable). */
  evaluate(): Promise<CleanerRun | undefined>;
}

/** Builds the cleaner; throws for a period or interval that is not positive (as NewLegacySATokenCleaner). */
export function newLegacyTokenCleaner(config: LegacyTokenCleanerConfig): LegacyTokenCleaner {
  const { serviceAccounts, secrets, pods, client, clock } = config;
  const log = config.log.child({ controller: LEGACY_TOKEN_CLEANER_NAME });
  const syncIntervalMs = config.syncIntervalMs ?? DEFAULT_CLEANER_SYNC_INTERVAL_MS;
  const cleanUpPeriodMs = config.cleanUpPeriodMs ?? DEFAULT_CLEAN_UP_PERIOD_MS;
  if (!(cleanUpPeriodMs > 0)) throw new RangeError(`invalid CleanUpPeriod: ${cleanUpPeriodMs}ms`);
  if (!(syncIntervalMs > 0)) throw new RangeError(`invalid SyncInterval: ${syncIntervalMs}ms`);

  const evaluate = async (): Promise<CleanerRun | undefined> => {
    const now = clock.now();
    let trackedSince: number;
    try {
      const cm = await client.get("configmaps", TRACKING_CONFIGMAP_NAMESPACE, TRACKING_CONFIGMAP_NAME);
      const result = latestPossibleTrackedSince(cm);
      if ("error" in result) throw new Error(result.error);
      trackedSince = result.value;
    } catch (err) {
      log.error({ err }, "getting latest possible tracked_since time");
      return undefined;
    }
    const run = evaluateLegacyTokens({
      now,
      cleanUpPeriodMs,
      trackedSince,
      secrets: secrets.list(),
      getServiceAccount: (ns, name) => serviceAccounts.get(ns, name),
      podsIn: (ns) => pods.list(ns),
    });
    if (run.skipped !== undefined) {
      log.debug({ reason: run.skipped }, "legacy token clean-up skipped");
      return run;
    }
    for (const decision of run.decisions) {
      if ("keep" in decision) {
        log.trace({ secret: decision.secret, reason: decision.keep }, "legacy token kept");
        continue;
      }
      const what =
        decision.action.verb === "patch"
          ? "mark the auto-generated service account token as invalid"
          : "delete the invalid auto-generated service account token";
      log.info({ secret: decision.secret }, what);
      try {
        await applyLogged(client, decision.action, log);
      } catch (err) {
        log.error({ err, secret: decision.secret }, `failed to ${what}`);
      }
    }
    return run;
  };

  return {
    name: LEGACY_TOKEN_CLEANER_NAME,
    evaluate,
    async run(signal) {
      const synced = await waitForCacheSync(
        "legacy-service-account-token-cleaner",
        [serviceAccounts, secrets, pods],
        { clock, log, signal },
      );
      if (!synced) return;
      log.info({ syncIntervalMs, cleanUpPeriodMs }, "starting");
      // wait.UntilWithContext: run at once, then pause a whole interval after each run.
      while (!signal.aborted) {
        await evaluate();
        try {
          await clock.sleep(syncIntervalMs, signal);
        } catch {
          return;
        }
      }
    },
  };
}
