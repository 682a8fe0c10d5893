/**
 * What every API operation carries, whichever transport (HTTPS or gRPC) it arrived on: the
 * authenticated user, and collectors for the warnings and audit annotations the operation adds.
 */

/** An authenticated user, as Kubernetes' `user.Info`. */
export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** Per-request state passed down to registries, admission and token logic. */
export interface RequestContext {
  user: UserInfo;
  /** Warnings to return to the client (HTTP `Warning: 299 - "..."` headers, gRPC trailers). */
  warnings: string[];
  /** Audit annotations (`authentication.kubernetes.io/issued-credential-id`, ...), logged with the request. */
  auditAnnotations: Record<string, string>;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

/** A context for work the apiserver does on its own behalf (bootstrap, internal controllers). */
export function systemContext(): RequestContext {
  return {
    user: { username: "system:apiserver", uid: "", groups: ["system:masters"], extra: {} },
    warnings: [],
    auditAnnotations: {},
  };
}
