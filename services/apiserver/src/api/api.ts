/**
 * The apiserver's operations as one interface, called by both transports (the Kubernetes HTTPS
 * API and the internal gRPC API). Every method authorizes the caller first (RBAC, 403 with
 * Kubernetes' text), then runs admission/registry/token logic; transports only translate.
 */
import type { ResourceInfo, StoredObject } from "@tokenplane/apimachinery";
import type { authnv1, authzv1, corev1 } from "@tokenplane/proto";
import type {
  DeleteOptions,
  DeleteResult,
  GetOptions,
  ListOptions,
  ListResult,
  UpdateOptions,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from "../registry/registry.js";
import type { RequestContext } from "../request/context.js";

/** Patch content types Kubernetes accepts (`kubectl patch --type`, `apply --server-side`). */
export type PatchType =
  | "application/json-patch+json"
  | "application/merge-patch+json"
  | "application/strategic-merge-patch+json"
  | "application/apply-patch+yaml";

export interface PatchOptions extends UpdateOptions {
  /** Server-side apply: take over conflicting fields (accepted; field ownership is not modelled). */
  force?: boolean;
}

export interface Api {
  /** Reads an object; with `subresource` (GET of `pods/<name>/status`) authorized as that subresource. */
  get(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    name: string,
    options?: GetOptions & { subresource?: string },
  ): Promise<StoredObject>;
  list(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    options?: ListOptions,
  ): Promise<ListResult>;
  watch(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    options: WatchOptions,
  ): Promise<AsyncIterable<WatchEvent>>;
  create(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    object: StoredObject,
    options?: WriteOptions & { subresource?: string },
  ): Promise<StoredObject>;
  /** Replaces an object (PUT); `created` when a kind with create-on-update (RBAC) did not exist (201). */
  update(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    name: string,
    object: StoredObject,
    options?: UpdateOptions,
  ): Promise<{ object: StoredObject; created: boolean }>;
  /**
   * Applies a patch to the current object and stores the result (retrying on conflicts).
   * Server-side apply creates the object when it does not exist (201 semantics: `created`).
   */
  patch(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    name: string,
    patchType: PatchType,
    patch: Uint8Array,
    options?: PatchOptions,
  ): Promise<{ object: StoredObject; created: boolean }>;
  delete(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    name: string,
    options?: DeleteOptions,
  ): Promise<DeleteResult>;
  deleteCollection(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    listOptions: ListOptions,
    options?: DeleteOptions,
  ): Promise<StoredObject[]>;

  /**
   * POST .../pods/<name>/binding: assigns a pod without a node to one (what a scheduler does);
   * returns the bound pod. 409 when the pod already has a node or is being deleted.
   */
  bind(
    ctx: RequestContext,
    namespace: string,
    binding: corev1.Binding,
    options?: { dryRun?: boolean },
  ): Promise<corev1.Pod>;

  /** POST .../serviceaccounts/<name>/token (reference §2). */
  createToken(
    ctx: RequestContext,
    namespace: string,
    name: string,
    request: authnv1.TokenRequest,
    options?: { dryRun?: boolean },
  ): Promise<authnv1.TokenRequest>;
  /** POST /apis/authentication.k8s.io/v1/tokenreviews (reference §1.8). */
  createTokenReview(ctx: RequestContext, review: authnv1.TokenReview): Promise<authnv1.TokenReview>;
  /** POST /apis/authentication.k8s.io/v1/selfsubjectreviews (`kubectl auth whoami`). */
  createSelfSubjectReview(
    ctx: RequestContext,
    review: authnv1.SelfSubjectReview,
  ): Promise<authnv1.SelfSubjectReview>;
  /** POST subjectaccessreviews, or localsubjectaccessreviews when `namespace` is given. */
  createSubjectAccessReview(
    ctx: RequestContext,
    review: authzv1.SubjectAccessReview,
    namespace?: string,
  ): Promise<authzv1.SubjectAccessReview>;
  createSelfSubjectAccessReview(
    ctx: RequestContext,
    review: authzv1.SelfSubjectAccessReview,
  ): Promise<authzv1.SelfSubjectAccessReview>;
  createSelfSubjectRulesReview(
    ctx: RequestContext,
    review: authzv1.SelfSubjectRulesReview,
  ): Promise<authzv1.SelfSubjectRulesReview>;

  /** Authorizes a non-resource request (`GET /healthz`, `/.well-known/openid-configuration`, ...); throws 403. */
  authorizeNonResource(ctx: RequestContext, verb: string, path: string): Promise<void>;
  /**
   * The issuer's discovery document and JWKS (byte-exact, reference §6.2), or undefined when the
   * issuer is not a clean https URL (the endpoints are then not installed → 404, §11.16).
   */
  openIdMetadata(): { configuration: string; jwks: string } | undefined;
}
