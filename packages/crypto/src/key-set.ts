import type { VerificationKey } from "./keys.js";

/**
 * An immutable set of verification keys indexed by kid: Kubernetes' `StaticPublicKeysGetter`
 * (jwt.go). Build a new one to rotate keys; authenticators accept a getter so they see the latest.
 */
export class KeySet {
  /** All keys, in the order given (JWKS order, reference §6.2). */
  readonly keys: readonly VerificationKey[];
  readonly #byKid: ReadonlyMap<string, readonly VerificationKey[]>;

  /** @param keys the keys; duplicates are kept (Kubernetes does the same). */
  constructor(keys: Iterable<VerificationKey>) {
    this.keys = Object.freeze([...keys]);
    const byKid = new Map<string, VerificationKey[]>();
    for (const key of this.keys) {
      const list = byKid.get(key.kid);
      if (list === undefined) byKid.set(key.kid, [key]);
      else list.push(key);
    }
    this.#byKid = byKid;
  }

  /**
   * The keys to try for a token (reference §1.4 step 3 [new]): no kid (undefined or empty) → all
   * keys; a kid → only keys whose derived kid equals it, possibly none.
   */
  lookup(kid: string | undefined): readonly VerificationKey[] {
    if (kid === undefined || kid === "") return this.keys;
    return this.#byKid.get(kid) ?? [];
  }

  /** Number of keys. */
  get size(): number {
    return this.keys.length;
  }
}

/** Shorthand for `new KeySet(keys)`. */
export function createKeySet(keys: Iterable<VerificationKey>): KeySet {
  return new KeySet(keys);
}
