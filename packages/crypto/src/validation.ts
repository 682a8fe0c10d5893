import type { CryptoError } from "./errors.js";
import type { Decoded, JsonObject } from "./go-json.js";
import type { StandardClaims } from "./standard-claims.js";
import type { ServiceAccountInfo } from "./user-info.js";

/** A live object as the validators need it. */
export interface ObjectRef {
  /** metadata.uid */
  readonly uid: string;
  /** metadata.deletionTimestamp in milliseconds since the epoch; absent when not being deleted. */
  readonly deletionTimestamp?: number;
}

/** A live ServiceAccount. */
export interface ServiceAccountRef extends ObjectRef {
  /** Names in `secrets[]` (legacy validator: auto-generated token secrets). */
  readonly secrets?: readonly string[];
}

/** A live Secret. */
export interface SecretRef extends ObjectRef {
  /** `data.token`: the stored legacy token. */
  readonly token?: Uint8Array | string;
  /** metadata.labels */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Reads the objects a token refers to (Go `ServiceAccountTokenGetter`, reference §1.5: informer
 * cache first, live GET on a miss — that is the implementer's business). A missing object rejects
 * with an Error whose message is the API error text, e.g. `serviceaccounts "saname" not found`.
 */
export interface TokenObjectGetter {
  getServiceAccount(namespace: string, name: string): Promise<ServiceAccountRef> | ServiceAccountRef;
  getPod(namespace: string, name: string): Promise<ObjectRef> | ObjectRef;
  getSecret(namespace: string, name: string): Promise<SecretRef> | SecretRef;
  getNode(name: string): Promise<ObjectRef> | ObjectRef;
}

/**
 * A request to set the legacy-token last-used label on a Secret (legacy.go
 * `patchSecretWithLastUsedDate`). The caller applies it; its failure is only logged.
 */
export interface LastUsedUpdate {
  readonly namespace: string;
  readonly name: string;
  /** The Secret's UID (a precondition of the patch). */
  readonly uid: string;
  /** Today in UTC, `YYYY-MM-DD`. */
  readonly date: string;
  /** The JSON merge patch body Kubernetes sends (a marshalled apply configuration). */
  readonly mergePatch: string;
}

/** Side outputs of a validation, reported instead of done (no I/O here). */
export interface ValidationEffects {
  /** Response `Warning` header texts. */
  readonly warnings: readonly string[];
  /** Audit annotations (key → value). */
  readonly auditAnnotations: Readonly<Record<string, string>>;
  /** Legacy tokens: a label patch to apply to the token Secret. */
  readonly lastUsed?: LastUsedUpdate;
}

/** Outcome of {@link TokenValidator.validate}. */
export type ValidationResult =
  | (ValidationEffects & { readonly ok: true; readonly info: ServiceAccountInfo })
  | (ValidationEffects & { readonly ok: false; readonly error: CryptoError });

/** What the authenticator hands a validator once signature, issuer and audiences are checked. */
export interface ValidationRequest<P> {
  /** The raw token (the legacy validator compares it with the Secret's copy). */
  readonly token: string;
  /** Registered claims. */
  readonly claims: StandardClaims;
  /** This validator's private claims. */
  readonly privateClaims: P;
}

/**
 * Domain checks of a verified token (Go `Validator[PrivateClaims]`, jwt.go). `decodePrivateClaims`
 * runs during signature verification (go-jose decodes both claim sets together, so its errors are
 * verification errors); `validate` runs last (reference §1.4 step 7).
 */
export interface TokenValidator<P> {
  decodePrivateClaims(payload: JsonObject): Decoded<P>;
  validate(request: ValidationRequest<P>): Promise<ValidationResult>;
}

/** An empty effects record. */
export const NO_EFFECTS: ValidationEffects = Object.freeze({ warnings: [], auditAnnotations: {} });

/** The message of a getter rejection (an Error's message, else its string form). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
