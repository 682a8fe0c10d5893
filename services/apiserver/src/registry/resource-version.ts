/**
 * Parsing of `resourceVersion` parameters, with Kubernetes' errors (APIObjectVersioner and the
 * watch cache's "too large" / "too old" texts).
 */
import {
  goQuote,
  newBadRequest,
  newResourceExpired,
  newTimeout,
  type StatusError,
} from "@tokenplane/apimachinery";

/** The revision a resourceVersion names; 0 for "" and "0" (any / latest). Throws 400 when malformed. */
export function parseResourceVersion(rv: string | undefined): number {
  if (rv === undefined || rv === "" || rv === "0") return 0;
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(Number(rv))) {
    throw newBadRequest(
      `resourceVersion: Invalid value: ${goQuote(rv)}: strconv.ParseUint: parsing ${goQuote(rv)}: invalid syntax`,
    );
  }
  return Number(rv);
}

/** 504 for a read that asks for a revision the store has not reached. */
export function tooLargeResourceVersion(asked: number, current: number): StatusError {
  const err = newTimeout(`Too large resource version: ${asked}, current: ${current}`, 1);
  err.status.details = {
    ...err.status.details,
    causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
  };
  return err;
}

/** 410 Expired for a watch that asks for history no longer kept. */
export function tooOldResourceVersion(asked: number, oldest: number): StatusError {
  return newResourceExpired(`too old resource version: ${asked} (${oldest})`);
}
