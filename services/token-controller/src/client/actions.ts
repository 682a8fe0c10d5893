/**
 * Writes as data. The reconcile functions of the controllers are pure: they look at cached
 * objects (and the clock) and return the writes to make, each with the failures that Kubernetes'
 * controller treats as success (an `AlreadyExists` on create, a `Conflict` from a failed
 * precondition on delete, ...). {@link applyAction} performs one through an {@link ObjectClient}.
 * Tests compare the returned actions with exact values.
 */
import { isStatusReason, StatusError, type StatusReason } from "@tokenplane/apimachinery";
import type { Logger } from "@tokenplane/runtime";
import type { CoreKinds, CoreResource, ObjectClient, Preconditions } from "./object-client.js";

/**
 * A failure an action tolerates: a Status reason, or `NamespaceTerminating` (the status cause
 * `apierrors.HasStatusCause(err, v1.NamespaceTerminatingCause)` looks for).
 */
export type ToleratedFailure =
  | Extract<StatusReason, "NotFound" | "Conflict" | "AlreadyExists">
  | "NamespaceTerminating";

/** The cause type the apiserver attaches to creates in a namespace being deleted (k8s.io/api core/v1). */
export const NAMESPACE_TERMINATING_CAUSE = "NamespaceTerminating";

/** One write. */
export type Action =
  | {
      readonly verb: "create";
      readonly resource: CoreResource;
      readonly object: CoreKinds[CoreResource];
      readonly tolerate: readonly ToleratedFailure[];
    }
  | {
      readonly verb: "update";
      readonly resource: CoreResource;
      /** The whole object; its resourceVersion is the optimistic-concurrency check. */
      readonly object: CoreKinds[CoreResource];
      readonly tolerate: readonly ToleratedFailure[];
    }
  | {
      readonly verb: "patch";
      readonly resource: CoreResource;
      readonly namespace: string;
      readonly name: string;
      /** A JSON merge patch, byte for byte as sent. */
      readonly patch: string;
      readonly tolerate: readonly ToleratedFailure[];
    }
  | {
      readonly verb: "delete";
      readonly resource: CoreResource;
      readonly namespace: string;
      readonly name: string;
      readonly preconditions: Preconditions;
      readonly tolerate: readonly ToleratedFailure[];
    };

/** The delete variant of {@link Action}. */
export type DeleteAction = Extract<Action, { verb: "delete" }>;

/** True when `err` carries a Status cause of type `cause` (apierrors.HasStatusCause). */
export function hasStatusCause(err: unknown, cause: string): boolean {
  return err instanceof StatusError && (err.status.details?.causes ?? []).some((c) => c.reason === cause);
}

/** The tolerated failure `err` is, if it is one of `tolerate`. */
export function toleratedFailure(
  err: unknown,
  tolerate: readonly ToleratedFailure[],
): ToleratedFailure | undefined {
  for (const t of tolerate) {
    if (
      t === "NamespaceTerminating" ? hasStatusCause(err, NAMESPACE_TERMINATING_CAUSE) : isStatusReason(err, t)
    ) {
      return t;
    }
  }
  return undefined;
}

/** What became of an action: done, or a tolerated failure. Other failures throw. */
export type ActionOutcome = "done" | ToleratedFailure;

/** Performs `action`; resolves with a tolerated failure instead of throwing it. */
export async function applyAction(client: ObjectClient, action: Action): Promise<ActionOutcome> {
  try {
    switch (action.verb) {
      case "create":
        await client.create(action.resource, action.object);
        break;
      case "update":
        await client.update(action.resource, action.object);
        break;
      case "patch":
        await client.mergePatch(action.resource, action.namespace, action.name, action.patch);
        break;
      case "delete":
        await client.delete(action.resource, action.namespace, action.name, action.preconditions);
        break;
    }
    return "done";
  } catch (err) {
    const tolerated = toleratedFailure(err, action.tolerate);
    if (tolerated !== undefined) return tolerated;
    throw err;
  }
}

/** `namespace/name` of an action's object, for logs. */
export function actionTarget(action: Action): string {
  if (action.verb === "create" || action.verb === "update") {
    const m = action.object.metadata;
    return `${action.resource} ${m?.namespace ?? ""}/${m?.name ?? ""}`;
  }
  return `${action.resource} ${action.namespace}/${action.name}`;
}

/**
 * {@link applyAction}, logging a write at info and a tolerated failure at debug (Kubernetes'
 * controllers log them at V(2)/V(4)).
 */
export async function applyLogged(client: ObjectClient, action: Action, log: Logger): Promise<ActionOutcome> {
  const outcome = await applyAction(client, action);
  const target = actionTarget(action);
  if (outcome === "done") log.info({ verb: action.verb, target }, `${action.verb} ${target}`);
  else log.debug({ verb: action.verb, target, outcome }, `${action.verb} ${target}: ${outcome}, ignored`);
  return outcome;
}
