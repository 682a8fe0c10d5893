/**
 * The per-kind rules the registry applies, shaped like Kubernetes' `rest.RESTCreateStrategy`,
 * `RESTUpdateStrategy`, `RESTDeleteStrategy` and `RESTGracefulDeleteStrategy`
 * (staging/src/k8s.io/apiserver/pkg/registry/rest). Every method is pure: it takes objects (and,
 * where time matters, `now`) and mutates or judges them; the store does all I/O.
 */
import type { FieldError, NameValidator, StoredObject } from "@tokenplane/apimachinery";

/** The update rules of one subresource (`status`, `ephemeralcontainers`, `finalize`, `binding`). */
export interface SubresourceStrategy<T> {
  /** Copies back from `old` what this subresource may not change (Kubernetes' PrepareForUpdate). */
  prepareForUpdate(obj: T, old: T): void;
  /** Field errors of the update; empty when valid. Includes the metadata update rules. */
  validateUpdate(obj: T, old: T): FieldError[];
  /** Warnings for the client; none when absent. */
  warningsOnUpdate?(obj: T, old: T): string[];
}

/** What a kind-specific delete hook decided (see {@link Strategy.beforeDelete}). */
export type BeforeDeleteResult<T> =
  /** Store this object instead of deleting (deletion has started; `finished` is false). */
  | { action: "update"; object: T }
  /** Go on with the generic deletion rules (graceful deletion, finalizers, removal). */
  | { action: "proceed" };

/** The rules of one kind. `T` is the kind's protobuf message. */
export interface Strategy<T extends StoredObject = StoredObject> {
  /** The rule for `metadata.name` and `metadata.generateName` (reference §8.1). */
  readonly validateName: NameValidator;
  /**
   * The v1 defaulting (`SetDefaults_*`) and conversion quirks (Secret `stringData` folded into
   * `data`, Pod `serviceAccount` kept equal to `serviceAccountName`). Idempotent; the store runs
   * it on every object it is given, before admission and again after.
   */
  default(obj: T): void;
  /** PrepareForCreate: resets what clients may not set (status, server-owned spec fields). */
  prepareForCreate(obj: T): void;
  /** Validate: every field error of a new object, metadata included; empty when valid. */
  validate(obj: T): FieldError[];
  /** WarningsOnCreate. */
  warningsOnCreate?(obj: T): string[];
  /** PrepareForUpdate of the main resource: typically keeps the old status. */
  prepareForUpdate(obj: T, old: T): void;
  /** ValidateUpdate of the main resource, metadata update rules included. */
  validateUpdate(obj: T, old: T): FieldError[];
  /** WarningsOnUpdate. */
  warningsOnUpdate?(obj: T, old: T): string[];
  /** PUT of a missing object creates it (true for RBAC kinds, false for the core kinds here). */
  readonly allowCreateOnUpdate: boolean;
  /** PUT without `metadata.resourceVersion` overwrites the latest version (last write wins). */
  readonly allowUnconditionalUpdate: boolean;
  /** Update subresources this kind serves, by name. */
  readonly subresources: Readonly<Record<string, SubresourceStrategy<T>>>;
  /**
   * CheckGracefulDelete: present for kinds with graceful deletion (pods). Returns the grace
   * period in seconds for a delete that asked for `requested` seconds (undefined = not given);
   * 0 means delete at once.
   */
  gracefulDeletePeriod?(obj: T, requested: number | undefined): number;
  /**
   * Kind-specific delete rules that run before the generic ones (the namespace's two-phase
   * deletion). May throw a StatusError. `now` is milliseconds since the epoch.
   */
  beforeDelete?(existing: T, now: number): BeforeDeleteResult<T>;
  /**
   * An update that empties the finalizers of an object being deleted (with no grace period left)
   * removes it (Kubernetes' ShouldDeleteDuringUpdate); a kind may add a condition here.
   */
  shouldDeleteDuringUpdate?(obj: T): boolean;
}

/** Erases the message type of a strategy so one table can hold every kind. */
export function anyStrategy<T extends StoredObject>(s: Strategy<T>): Strategy {
  // A strategy is only ever called with objects of its own kind: the table is keyed by kind.
  return s as unknown as Strategy;
}
