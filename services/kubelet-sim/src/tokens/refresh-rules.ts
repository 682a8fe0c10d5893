/**
 * The kubelet token manager's rules (pkg/kubelet/token/token_manager.go, reference §5), pure: the
 * cache key, when a token has expired, and when it must be refreshed. Time is passed in; the
 * jitter is a whole number of seconds the caller draws (reference: `floor(rand[0,1) × 10)`).
 */
import { goQuote } from "@tokenplane/apimachinery";

/** Longest a token is served before it is refreshed, whatever its lifetime (maxTTL, 24 h). */
export const MAX_TTL_MS = 24 * 60 * 60 * 1000;
/** How often expired entries are dropped from the cache (gcPeriod, 1 min). */
export const GC_PERIOD_MS = 60 * 1000;
/** Upper bound (exclusive) of the refresh jitter (maxJitter, 10 s). */
export const MAX_JITTER_SECONDS = 10;

/** `authenticationv1.BoundObjectReference`. */
export interface BoundObjectRef {
  readonly kind: string;
  readonly apiVersion: string;
  readonly name: string;
  readonly uid: string;
}

/** The parts of a TokenRequest's spec the manager reasons with. */
export interface TokenSpec {
  /** `spec.audiences`; `undefined` is Go's nil (the kubelet sends nil when the source has no audience). */
  readonly audiences?: readonly string[];
  /** `spec.expirationSeconds`; `undefined` is Go's nil. */
  readonly expirationSeconds?: number;
  readonly boundObjectRef?: BoundObjectRef;
}

/** `TokenRequestStatus`: the token and its expiry as the apiserver reported it. */
export interface TokenStatus {
  readonly token: string;
  /**
   * `status.expirationTimestamp`, milliseconds since the epoch. For the 3607 s projected token this
   * is issue time + 3607 s even though the JWT's `exp` may lie a year later (reference §11.1).
   */
  readonly expirationTimestamp: number;
}

/** A TokenRequest as the manager caches it. */
export interface TokenRequestLike {
  readonly spec: TokenSpec;
  readonly status: TokenStatus;
}

/** Go's `%#v` of a string slice: `[]string(nil)`, `[]string{}` or `[]string{"a", "b"}`. */
function goSliceLiteral(values: readonly string[] | undefined): string {
  if (values === undefined) return "[]string(nil)";
  return `[]string{${values.map(goQuote).join(", ")}}`;
}

/**
 * The cache key, non-secret and loggable, exactly as `keyFunc` prints it:
 * `fmt.Sprintf("%q/%q/%#v/%#v/%#v", name, namespace, audiences, expirationSeconds or 0, boundObjectRef or its zero value)`,
 * e.g. `"default"/"ns"/[]string(nil)/3607/v1.BoundObjectReference{Kind:"Pod", APIVersion:"v1", Name:"p", UID:"u"}`.
 */
export function cacheKey(name: string, namespace: string, spec: TokenSpec): string {
  const ref = spec.boundObjectRef ?? { kind: "", apiVersion: "", name: "", uid: "" };
  const refText =
    `v1.BoundObjectReference{Kind:${goQuote(ref.kind)}, APIVersion:${goQuote(ref.apiVersion)}, ` +
    `Name:${goQuote(ref.name)}, UID:${goQuote(ref.uid)}}`;
  return `${goQuote(name)}/${goQuote(namespace)}/${goSliceLiteral(spec.audiences)}/${spec.expirationSeconds ?? 0}/${refText}`;
}

/** `expired`: true when `now` is after `status.expirationTimestamp`. */
export function expired(tr: TokenRequestLike, now: number): boolean {
  return now > tr.status.expirationTimestamp;
}

/** The jitter the kubelet draws: `floor(random() × 10)` whole seconds (0–9). */
export function drawJitterSeconds(random: () => number): number {
  return Math.floor(random() * MAX_JITTER_SECONDS);
}

/**
 * The instant after which {@link requiresRefresh} is true, milliseconds since the epoch, or
 * `undefined` when `spec.expirationSeconds` is nil (such a token is never refreshed). It is the
 * earlier of `iat + 24h − jitter` and `exp − floor(expirationSeconds × 20 / 100) s − jitter`,
 * where `iat = exp − expirationSeconds` (both from the status and spec, not from the JWT).
 */
export function refreshDueAt(tr: TokenRequestLike, jitterSeconds: number): number | undefined {
  const seconds = tr.spec.expirationSeconds;
  if (seconds === undefined) return undefined;
  const exp = tr.status.expirationTimestamp;
  const iat = exp - seconds * 1000;
  const jitter = jitterSeconds * 1000;
  const byMaxTtl = iat + MAX_TTL_MS - jitter;
  // Go integer division: (expirationSeconds*20)/100 truncates.
  const byLifetime = exp - Math.trunc((seconds * 20) / 100) * 1000 - jitter;
  return Math.min(byMaxTtl, byLifetime);
}

/**
 * `requiresRefresh`: false for a nil `expirationSeconds`; else true once `now` is strictly after
 * {@link refreshDueAt} (80 % of the lifetime, or 24 h, minus the jitter). For the 3607 s projected
 * token that is 2886 s after issue (3607 − 721) minus the jitter.
 */
export function requiresRefresh(tr: TokenRequestLike, now: number, jitterSeconds: number): boolean {
  const due = refreshDueAt(tr, jitterSeconds);
  return due !== undefined && now > due;
}
