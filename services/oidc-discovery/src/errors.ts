/**
 * The one error class of oidc-discovery. Where Kubernetes has a text for the failure (flag
 * validation, reference §1.3; discovery construction, §6.1), `message` is that text; the
 * @tokenplane/crypto errors that carry those texts are passed through unchanged.
 */

/** The closed set of error codes. */
export const OIDC_DISCOVERY_ERROR_CODES = [
  /** Start-up flags are invalid (kube-apiserver's validation texts, aggregated as Go does). */
  "ERR_INVALID_FLAGS",
  /** A `--service-account-key-file` could not be read or holds no usable key. */
  "ERR_KEY_FILE",
  /** A key of the apiserver's key set could not be used. */
  "ERR_KEY_SET",
] as const;

/** One of {@link OIDC_DISCOVERY_ERROR_CODES}. */
export type OidcDiscoveryErrorCode = (typeof OIDC_DISCOVERY_ERROR_CODES)[number];

/** A failure of oidc-discovery with a stable `code`. */
export class OidcDiscoveryError extends Error {
  /** Stable code: callers switch on it. */
  readonly code: OidcDiscoveryErrorCode;

  constructor(code: OidcDiscoveryErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OidcDiscoveryError";
    this.code = code;
  }
}

/**
 * Go's `utilerrors.NewAggregate(errs).Error()`: repeated messages once, a single message alone,
 * several as `[a, b]` — how kube-apiserver reports its failed flag validation.
 */
export function aggregateMessage(messages: readonly string[]): string {
  const distinct = [...new Set(messages)];
  if (distinct.length === 1) return distinct[0] ?? "";
  return `[${distinct.join(", ")}]`;
}
