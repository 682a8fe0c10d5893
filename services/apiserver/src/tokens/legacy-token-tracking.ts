/**
 * The legacy token tracking controller of kube-apiserver
 * (pkg/controlplane/controller/legacytokentracking/controller.go, reference §4.4): keeps the
 * ConfigMap `kube-system/kube-apiserver-legacy-service-account-token-tracking` with
 * `data.since = <UTC date YYYY-MM-DD>`, the day from which legacy token use has been tracked (the
 * legacy token cleaner reads it). Missing → created with today (at most once per 30 minutes;
 * AlreadyExists is fine); present with a `since` that does not parse as a date → overwritten with
 * today; present and valid → left alone, so the date survives restarts (it lives in the store).
 * It re-checks whenever the ConfigMap changes (a watch) and retries failures with back-off.
 */
import { clone, create } from "@bufbuild/protobuf";
import { isAlreadyExists, isConflict, isNotFound, resourceFor, utcDate } from "@tokenplane/apimachinery";
import { corev1, metav1 } from "@tokenplane/proto";
import type { Clock, Logger } from "@tokenplane/runtime";
import type { Registry } from "../registry/registry.js";
import { systemContext } from "../request/context.js";

const CONFIGMAPS = resourceFor("", "configmaps")!;

/** `kube-system`. */
export const TRACKING_CONFIGMAP_NAMESPACE = "kube-system";
/** The ConfigMap's name. */
export const TRACKING_CONFIGMAP_NAME = "kube-apiserver-legacy-service-account-token-tracking";
/** The data key holding the date. */
export const TRACKING_CONFIGMAP_KEY = "since";
/** Creation rate limit: one create per 30 minutes (`rate.Every(30*time.Minute)`, burst 1). */
export const TRACKING_CREATE_INTERVAL_MS = 30 * 60 * 1000;

/** What one sync did (for logs and tests). */
export type TrackingSyncOutcome = "created" | "already-exists" | "repaired" | "unchanged" | "rate-limited";

/** Options of {@link startLegacyTokenTracking}. */
export interface LegacyTokenTrackingOptions {
  readonly registry: Registry;
  /** Time for the date, the rate limit and retries. */
  readonly clock: Clock;
  readonly log: Logger;
  /** Minimum time between two creates in ms; default 30 minutes. */
  readonly createIntervalMs?: number;
  /** First retry delay after a failed sync in ms, doubling up to 30 s; default 1000. */
  readonly retryDelayMs?: number;
  /** Called after every sync with its outcome or error (tests, debugging). */
  readonly onSync?: (outcome: TrackingSyncOutcome | Error) => void;
}

/** The running controller. */
export interface LegacyTokenTracking {
  /** Stops the watch and the loop; resolves when both have ended. */
  stop(): Promise<void>;
}

/** Go `time.Parse("2006-01-02", s)`: four-digit year, two-digit month and day, a real date. */
export function isTrackingDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Starts the controller; the first sync runs at once. */
export function startLegacyTokenTracking(options: LegacyTokenTrackingOptions): LegacyTokenTracking {
  const { registry, clock, log } = options;
  const createInterval = options.createIntervalMs ?? TRACKING_CREATE_INTERVAL_MS;
  const firstRetry = options.retryDelayMs ?? 1000;
  const stopping = new AbortController();
  let lastCreateAt: number | undefined;

  // Wake-ups from the watch; a wake-up that arrives during a sync is kept for the next wait.
  let pendingWake = false;
  let wake: (() => void) | undefined;
  const trigger = () => {
    pendingWake = true;
    wake?.();
  };

  async function sync(): Promise<{ outcome: TrackingSyncOutcome; retryInMs?: number }> {
    const ctx = systemContext();
    let current: corev1.ConfigMap;
    try {
      current = (await registry.get(
        CONFIGMAPS,
        TRACKING_CONFIGMAP_NAMESPACE,
        TRACKING_CONFIGMAP_NAME,
      )) as corev1.ConfigMap;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const now = clock.now();
      if (lastCreateAt !== undefined && now - lastCreateAt < createInterval) {
        return { outcome: "rate-limited", retryInMs: lastCreateAt + createInterval - now };
      }
      const configMap = create(corev1.ConfigMapSchema, {
        metadata: create(metav1.ObjectMetaSchema, {
          name: TRACKING_CONFIGMAP_NAME,
          namespace: TRACKING_CONFIGMAP_NAMESPACE,
        }),
        data: { [TRACKING_CONFIGMAP_KEY]: utcDate(now) },
      });
      try {
        await registry.create(ctx, CONFIGMAPS, TRACKING_CONFIGMAP_NAMESPACE, configMap);
      } catch (createErr) {
        // A failed attempt does not use up the rate limit; AlreadyExists does (as Kubernetes).
        if (!isAlreadyExists(createErr)) throw createErr;
        lastCreateAt = now;
        return { outcome: "already-exists" };
      }
      lastCreateAt = now;
      return { outcome: "created" };
    }
    if (isTrackingDate(current.data[TRACKING_CONFIGMAP_KEY] ?? "")) return { outcome: "unchanged" };
    const repaired = clone(corev1.ConfigMapSchema, current);
    repaired.data = { ...current.data, [TRACKING_CONFIGMAP_KEY]: utcDate(clock.now()) };
    try {
      await registry.update(ctx, CONFIGMAPS, TRACKING_CONFIGMAP_NAMESPACE, TRACKING_CONFIGMAP_NAME, repaired);
    } catch (err) {
      // Deleted or changed meanwhile: the watch brings us back.
      if (isNotFound(err) || isConflict(err)) return { outcome: "unchanged" };
      throw err;
    }
    return { outcome: "repaired" };
  }

  /** Waits for a watch event, `delayMs` (if given), or stop. */
  async function waitForWake(delayMs: number | undefined): Promise<void> {
    if (pendingWake || stopping.signal.aborted) {
      pendingWake = false;
      return;
    }
    const timer = new AbortController();
    const abortTimer = () => timer.abort();
    stopping.signal.addEventListener("abort", abortTimer, { once: true });
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const slept =
      delayMs === undefined
        ? new Promise<void>((resolve) =>
            timer.signal.addEventListener("abort", () => resolve(), { once: true }),
          )
        : clock.sleep(delayMs, timer.signal).catch(() => undefined);
    await Promise.race([woken, slept]);
    timer.abort();
    stopping.signal.removeEventListener("abort", abortTimer);
    wake = undefined;
    pendingWake = false;
  }

  async function syncLoop(): Promise<void> {
    let retry = firstRetry;
    while (!stopping.signal.aborted) {
      let delay: number | undefined;
      try {
        const { outcome, retryInMs } = await sync();
        options.onSync?.(outcome);
        if (outcome === "created" || outcome === "repaired")
          log.info({ outcome }, "legacy token tracking configmap written");
        retry = firstRetry;
        delay = retryInMs;
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        options.onSync?.(error);
        log.warn({ err: error.message, retryInMs: retry }, "legacy token tracking sync failed");
        delay = retry;
        retry = Math.min(retry * 2, 30_000);
      }
      await waitForWake(delay);
    }
  }

  async function watchLoop(): Promise<void> {
    const fieldSelector = {
      requirements: [{ field: "metadata.name", operator: "=" as const, value: TRACKING_CONFIGMAP_NAME }],
    };
    while (!stopping.signal.aborted) {
      try {
        const events = registry.watch(CONFIGMAPS, TRACKING_CONFIGMAP_NAMESPACE, {
          fieldSelector,
          signal: stopping.signal,
        });
        for await (const event of events) {
          if (event.type === "ERROR") break; // too far behind: watch again
          if (event.type !== "BOOKMARK") trigger();
        }
      } catch (err) {
        if (stopping.signal.aborted) return;
        log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "legacy token tracking watch failed",
        );
      }
      if (!stopping.signal.aborted) await clock.sleep(firstRetry, stopping.signal).catch(() => undefined);
    }
  }

  const loops = Promise.all([syncLoop(), watchLoop()]);
  return {
    async stop() {
      stopping.abort();
      wake?.();
      await loops;
    },
  };
}
