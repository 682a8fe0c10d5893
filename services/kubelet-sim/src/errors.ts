/**
 * The kubelet-sim's one error class, with stable string codes (STYLE.md: one error type per
 * package). Where the kubelet has a text, the message is the kubelet's text exactly (reference §5
 * for the token manager; AtomicWriter and the projected volume plugin for volumes).
 */

/** The codes of {@link KubeletSimError}. */
export const KUBELET_SIM_ERROR_CODES = [
  /** A TokenRequest failed and no token was cached (`failed to fetch token: <err>`). */
  "ERR_TOKEN_FETCH",
  /** A TokenRequest failed and the cached token has expired (`token <key> expired and refresh failed: <err>`). */
  "ERR_TOKEN_EXPIRED",
  /** The behaviour file does not parse or holds an invalid value. */
  "ERR_BEHAVIOUR",
  /** A projected volume cannot be built (missing ConfigMap, Secret or key). */
  "ERR_VOLUME",
  /** A projected file path is not allowed (absolute, `..`, too long). */
  "ERR_PAYLOAD_PATH",
] as const;

/** One of {@link KUBELET_SIM_ERROR_CODES}. */
export type KubeletSimErrorCode = (typeof KUBELET_SIM_ERROR_CODES)[number];

/** A failure of the simulated kubelet's own logic (API failures stay `StatusError`s). */
export class KubeletSimError extends Error {
  readonly code: KubeletSimErrorCode;

  constructor(code: KubeletSimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KubeletSimError";
    this.code = code;
  }
}

/** True when `err` is a {@link KubeletSimError}, optionally with the given code. */
export function isKubeletSimError(err: unknown, code?: KubeletSimErrorCode): err is KubeletSimError {
  return err instanceof KubeletSimError && (code === undefined || err.code === code);
}

/** The message of any thrown value (what Go's `%v` of an error prints). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
