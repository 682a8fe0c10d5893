/**
 * Applies the legacy validator's last-used label updates (legacy.go `patchSecretWithLastUsedDate`,
 * reference §1.6): `kubernetes.io/legacy-token-last-used: <today UTC>` on the token Secret, with
 * the Secret's uid as a precondition. Off the request's critical path: `schedule` returns at once,
 * failures are only logged, and at most one write per Secret is in flight (concurrent uses of
 * the same token on the same day would all ask for the same write).
 */
import { clone } from "@bufbuild/protobuf";
import { newConflict, resourceFor, type StoredObject } from "@tokenplane/apimachinery";
import { LAST_USED_LABEL_KEY, type LastUsedUpdate } from "@tokenplane/crypto";
import { corev1 } from "@tokenplane/proto";
import type { Logger } from "@tokenplane/runtime";
import type { Registry } from "../registry/registry.js";
import { systemContext } from "../request/context.js";

const SECRETS = resourceFor("", "secrets")!;

/** Writes last-used labels in the background. */
export interface LastUsedUpdater {
  /** Starts the write unless one for the same Secret is already in flight; never throws. */
  schedule(update: LastUsedUpdate): void;
  /** Resolves once every write started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
  /** Writes in flight. */
  readonly pending: number;
}

/**
 * The label value a Secret should get: the update's date, unless the stored label already says
 * today or tomorrow (legacy.go skips the patch then; tomorrow covers clock skew between servers).
 */
function needsWrite(current: string | undefined, update: LastUsedUpdate): boolean {
  if (current === update.date) return false;
  const tomorrow = new Date(Date.parse(`${update.date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return current !== tomorrow;
}

/** Creates the updater. */
export function createLastUsedUpdater(options: { registry: Registry; log: Logger }): LastUsedUpdater {
  const { registry, log } = options;
  const inFlight = new Map<string, Promise<void>>();

  async function write(update: LastUsedUpdate): Promise<void> {
    await registry.guaranteedUpdate(systemContext(), SECRETS, update.namespace, update.name, (current) => {
      const uid = current.metadata?.uid ?? "";
      // The merge patch carries metadata.uid: Kubernetes refuses it when the Secret was replaced.
      if (uid !== update.uid) {
        throw newConflict(
          { group: "", resource: SECRETS.resource },
          update.name,
          `Precondition failed: UID in precondition: ${update.uid}, UID in object meta: ${uid}`,
        );
      }
      const labels = current.metadata?.labels ?? {};
      if (!needsWrite(labels[LAST_USED_LABEL_KEY], update)) return current;
      const next = clone(corev1.SecretSchema, current as corev1.Secret);
      if (next.metadata !== undefined) next.metadata.labels[LAST_USED_LABEL_KEY] = update.date;
      return next as StoredObject;
    });
  }

  return {
    schedule(update) {
      const key = `${update.namespace}/${update.name}`;
      if (inFlight.has(key)) return;
      const done = write(update)
        .catch((err: unknown) => {
          log.warn(
            {
              namespace: update.namespace,
              secret: update.name,
              err: err instanceof Error ? err.message : String(err),
            },
            "failed to update the legacy token last-used label",
          );
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, done);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all(inFlight.values());
    },
    get pending() {
      return inFlight.size;
    },
  };
}
