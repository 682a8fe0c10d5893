import { CryptoError } from "./errors.js";
import { makeUsername } from "./user-info.js";

/**
 * Projected tokens requested with exactly this lifetime (and only API audiences) get an extended
 * `exp` and a `warnafter` of now + 3607 s (pkg/serviceaccount/claims.go, reference §0, §2.4).
 */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;

/** The extended lifetime of such tokens: 365 days in seconds (claims.go, reference §0). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;

/** A name/uid reference inside `kubernetes.io` (Go `ref`; both members `omitempty`). */
export interface RefClaim {
  /** Object name; omitted when empty. */
  readonly name?: string;
  /** Object UID; omitted when empty. */
  readonly uid?: string;
}

/** The `kubernetes.io` private claim of a bound token (Go `kubernetes` struct, reference §1.1). */
export interface KubernetesClaims {
  /** ServiceAccount namespace; omitted when empty. */
  readonly namespace?: string;
  /** ServiceAccount reference; always present. */
  readonly serviceaccount: RefClaim;
  /** Bound pod. */
  readonly pod?: RefClaim;
  /** Bound secret. */
  readonly secret?: RefClaim;
  /** Bound node, or the node of the bound pod. */
  readonly node?: RefClaim;
  /** Seconds since the epoch after which use of the token is audited as stale. */
  readonly warnafter?: number;
}

/** The payload of a bound (TokenRequest / projected) token. */
export interface BoundTokenClaims {
  /** Issuer: the first `--service-account-issuer`; omitted when empty. */
  readonly iss?: string;
  /** `system:serviceaccount:<ns>:<name>`. */
  readonly sub: string;
  /** Audiences; always an array, omitted when empty. */
  readonly aud?: string[];
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Not before, seconds since the epoch (= iat). */
  readonly nbf: number;
  /** Token id; omitted when empty. */
  readonly jti?: string;
  /** The private claims. */
  readonly "kubernetes.io": KubernetesClaims;
}

/** A reference to an object a token is bound to. */
export interface BoundObjectRef {
  /** Object name. */
  readonly name: string;
  /** Object UID. */
  readonly uid: string;
}

/** Input of {@link boundClaims}. */
export interface BoundClaimsInput {
  /** `iss`: the first configured issuer. */
  readonly issuer: string;
  /** `aud`: the requested audiences (may be empty → no `aud`). */
  readonly audiences: readonly string[];
  /** The ServiceAccount the token identifies. */
  readonly serviceAccount: { readonly namespace: string; readonly name: string; readonly uid: string };
  /** Bind to this pod. */
  readonly pod?: BoundObjectRef;
  /** Bind to this secret (not combinable with pod or node). */
  readonly secret?: BoundObjectRef;
  /** Bind to this node, or (with `pod`) the pod's node; uid may be missing when the Node object is. */
  readonly node?: { readonly name: string; readonly uid?: string };
  /** Lifetime in seconds (the possibly extended value): `exp = now + expirationSeconds`. */
  readonly expirationSeconds: number;
  /** Seconds after `now` for `warnafter`; 0 or absent → no `warnafter`. */
  readonly warnafterSeconds?: number;
  /** Current time in seconds since the epoch (fractions are truncated, as Go's NumericDate does). */
  readonly now: number;
  /** Token id (`randomJti()`); empty → no `jti`. */
  readonly jti: string;
}

function ref(name: string | undefined, uid: string | undefined): RefClaim {
  // Go `ref` has `omitempty` on both members (reference §1.1).
  return { ...(name ? { name } : {}), ...(uid ? { uid } : {}) };
}

function requireInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value))
    throw new TypeError(`${what} must be an integer number of seconds, got ${value}`);
}

/**
 * The claims of a bound token (claims.go `Claims` with every ServiceAccountToken* gate on,
 * reference §1.1): pod → `pod` (+ `node` when given); secret → `secret`; node alone → `node`;
 * `warnafter` = now + warnafterSeconds when non-zero. Throws CryptoError `ERR_CLAIMS_BINDING`
 * `internal error, token can only be bound to one object type` for secret + pod / node.
 */
export function boundClaims(input: BoundClaimsInput): BoundTokenClaims {
  const { serviceAccount: sa, pod, secret, node } = input;
  requireInteger(input.expirationSeconds, "expirationSeconds");
  if (input.warnafterSeconds !== undefined) requireInteger(input.warnafterSeconds, "warnafterSeconds");
  if (!Number.isFinite(input.now))
    throw new TypeError(`now must be a finite number of seconds, got ${input.now}`);
  if (secret !== undefined && (pod !== undefined || node !== undefined)) {
    throw new CryptoError("ERR_CLAIMS_BINDING", "internal error, token can only be bound to one object type");
  }
  const now = Math.floor(input.now);

  let binding: Pick<KubernetesClaims, "pod" | "secret" | "node"> = {};
  if (pod !== undefined) {
    binding = {
      pod: ref(pod.name, pod.uid),
      ...(node !== undefined ? { node: ref(node.name, node.uid) } : {}),
    };
  } else if (secret !== undefined) {
    binding = { secret: ref(secret.name, secret.uid) };
  } else if (node !== undefined) {
    binding = { node: ref(node.name, node.uid) };
  }
  const warnafter = input.warnafterSeconds ? { warnafter: now + input.warnafterSeconds } : {};

  return {
    ...(input.issuer ? { iss: input.issuer } : {}),
    sub: makeUsername(sa.namespace, sa.name),
    ...(input.audiences.length > 0 ? { aud: [...input.audiences] } : {}),
    exp: now + input.expirationSeconds,
    iat: now,
    nbf: now,
    ...(input.jti ? { jti: input.jti } : {}),
    "kubernetes.io": {
      ...(sa.namespace ? { namespace: sa.namespace } : {}),
      serviceaccount: ref(sa.name, sa.uid),
      ...binding,
      ...warnafter,
    },
  };
}
