import { makeUsername } from "./user-info.js";

/** The issuer of legacy (Secret-based) tokens: `kubernetes/serviceaccount` (legacy.go). */
export const LEGACY_ISSUER = "kubernetes/serviceaccount";

/** Label a legacy token Secret gets on use: UTC date `YYYY-MM-DD` (legacy.go). */
export const LAST_USED_LABEL_KEY = "kubernetes.io/legacy-token-last-used";

/** Label that marks a legacy token Secret as invalid (legacy.go). */
export const INVALID_SINCE_LABEL_KEY = "kubernetes.io/legacy-token-invalid-since";

/** The payload of a legacy token (reference §1.2): no exp, iat, nbf, aud or jti. */
export interface LegacyTokenClaims {
  /** Always {@link LEGACY_ISSUER} (the tokens controller's generator issuer). */
  readonly iss: string;
  /** `system:serviceaccount:<ns>:<name>`. */
  readonly sub: string;
  /** ServiceAccount namespace. */
  readonly "kubernetes.io/serviceaccount/namespace": string;
  /** Name of the Secret holding the token. */
  readonly "kubernetes.io/serviceaccount/secret.name": string;
  /** ServiceAccount name. */
  readonly "kubernetes.io/serviceaccount/service-account.name": string;
  /** ServiceAccount UID. */
  readonly "kubernetes.io/serviceaccount/service-account.uid": string;
}

/**
 * The claims of a legacy token for `secret` of `serviceAccount` (legacy.go `LegacyClaims` plus the
 * generator's `iss`). The private claims have no `omitempty`: always present.
 */
export function legacyClaims(
  serviceAccount: { readonly namespace: string; readonly name: string; readonly uid: string },
  secret: { readonly name: string },
): LegacyTokenClaims {
  return {
    iss: LEGACY_ISSUER,
    sub: makeUsername(serviceAccount.namespace, serviceAccount.name),
    "kubernetes.io/serviceaccount/namespace": serviceAccount.namespace,
    "kubernetes.io/serviceaccount/secret.name": secret.name,
    "kubernetes.io/serviceaccount/service-account.name": serviceAccount.name,
    "kubernetes.io/serviceaccount/service-account.uid": serviceAccount.uid,
  };
}
