/**
 * Argument checks shared by the backends. Programmer misuse (an empty key, a key that cannot be
 * stored as UTF-8, a non-integer revision) throws `TypeError` (a value too large: `RangeError`).
 */

// A lone UTF-16 surrogate would not survive the UTF-8 round trip through the log.
const LONE_SURROGATE = /\p{Cs}/u;

/** Throws TypeError unless `key` is a non-empty, well-formed string. */
export function checkKey(key: string): void {
  if (typeof key !== "string" || key.length === 0)
    throw new TypeError("storage key must be a non-empty string");
  if (LONE_SURROGATE.test(key))
    throw new TypeError(`storage key ${JSON.stringify(key)} is not well-formed UTF-16`);
}

/** Throws TypeError unless `rev` is undefined or a positive integer. */
export function checkModRevision(rev: number | undefined): void {
  if (rev !== undefined && (!Number.isSafeInteger(rev) || rev < 1)) {
    throw new TypeError(`expectedModRevision must be a positive integer, got ${rev}`);
  }
}

/** Largest value accepted (bytes): 256 MiB, far above Kubernetes' 1.5 MiB object limit. */
export const MAX_VALUE_BYTES = 256 * 1024 * 1024;

/** A private copy of `value`, so that a caller reusing its buffer cannot change stored data. */
export function copyValue(value: Uint8Array): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError("storage value must be a Uint8Array");
  if (value.byteLength > MAX_VALUE_BYTES) {
    throw new RangeError(
      `storage value of ${value.byteLength} bytes exceeds the limit of ${MAX_VALUE_BYTES}`,
    );
  }
  return new Uint8Array(value);
}
