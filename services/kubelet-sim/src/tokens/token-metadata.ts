/**
 * What a restart needs to rebuild the token cache without a TokenRequest (README "Restart"): for
 * each token of a projected volume, the request it answered (the cache key's parts) and the
 * server's `status.expirationTimestamp` — the value the manager reasons with, which the JWT alone
 * does not give (a 3607 s projected token's `exp` may lie a year later, reference §11.1). The
 * token itself is not in the metadata: it is read back from the volume and matched by its `jti`
 * (or, without one, its `iat`). Pure: encoding, decoding and the adoption decision.
 */
import { peekPayload } from "@tokenplane/crypto";
import type { ParseResult } from "@tokenplane/runtime";
import { cacheKey, expired, type TokenRequestLike, type TokenSpec } from "./refresh-rules.js";

/** Version of the metadata file format. */
export const TOKEN_METADATA_VERSION = 1;

/** One token of a volume, as stored next to it. */
export interface TokenRecord {
  /** The file in the volume (`token`). */
  readonly path: string;
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** The spec asked for (the cache key): audiences `null` = nil. */
  readonly request: TokenSpec;
  /** The spec of the server's answer. */
  readonly answer: TokenSpec;
  /** `status.expirationTimestamp`, milliseconds since the epoch. */
  readonly expirationTimestamp: number;
  /** The JWT's `jti` and `iat` (seconds), to recognise the token on disk. */
  readonly jti: string;
  readonly iat: number;
}

/** The metadata file of one volume. */
export interface VolumeTokenMetadata {
  readonly version: number;
  readonly tokens: readonly TokenRecord[];
}

/** Encodes the metadata (JSON; audiences nil as `null`). */
export function encodeTokenMetadata(tokens: readonly TokenRecord[]): string {
  const spec = (s: TokenSpec) => ({
    audiences: s.audiences ?? null,
    expirationSeconds: s.expirationSeconds ?? null,
    boundObjectRef: s.boundObjectRef ?? null,
  });
  return `${JSON.stringify({
    version: TOKEN_METADATA_VERSION,
    tokens: tokens.map((t) => ({ ...t, request: spec(t.request), answer: spec(t.answer) })),
  })}\n`;
}

function decodeSpec(raw: unknown): TokenSpec | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const aud = r.audiences;
  const exp = r.expirationSeconds;
  const ref = r.boundObjectRef as Record<string, unknown> | null | undefined;
  if (aud !== null && !(Array.isArray(aud) && aud.every((a) => typeof a === "string"))) return undefined;
  if (exp !== null && typeof exp !== "number") return undefined;
  return {
    ...(aud === null ? {} : { audiences: aud as string[] }),
    ...(exp === null ? {} : { expirationSeconds: exp as number }),
    ...(ref === null || ref === undefined
      ? {}
      : {
          boundObjectRef: {
            kind: String(ref.kind ?? ""),
            apiVersion: String(ref.apiVersion ?? ""),
            name: String(ref.name ?? ""),
            uid: String(ref.uid ?? ""),
          },
        }),
  };
}

/** Decodes a metadata file; `{ error }` for anything that is not this format. */
export function decodeTokenMetadata(text: string): ParseResult<VolumeTokenMetadata> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: "not JSON" };
  }
  const doc = raw as { version?: unknown; tokens?: unknown };
  if (doc.version !== TOKEN_METADATA_VERSION) return { error: `unknown version ${String(doc.version)}` };
  if (!Array.isArray(doc.tokens)) return { error: "tokens is not a list" };
  const tokens: TokenRecord[] = [];
  for (const t of doc.tokens as Array<Record<string, unknown>>) {
    const request = decodeSpec(t.request);
    const answer = decodeSpec(t.answer);
    if (
      request === undefined ||
      answer === undefined ||
      typeof t.path !== "string" ||
      typeof t.namespace !== "string" ||
      typeof t.serviceAccountName !== "string" ||
      typeof t.expirationTimestamp !== "number" ||
      typeof t.jti !== "string" ||
      typeof t.iat !== "number"
    ) {
      return { error: "malformed token record" };
    }
    tokens.push({
      path: t.path,
      namespace: t.namespace,
      serviceAccountName: t.serviceAccountName,
      request,
      answer,
      expirationTimestamp: t.expirationTimestamp,
      jti: t.jti,
      iat: t.iat,
    });
  }
  return { value: { version: TOKEN_METADATA_VERSION, tokens } };
}

/** The `jti` and `iat` of a token, read without verifying it. */
export function tokenIdentity(token: string): { jti: string; iat: number } | undefined {
  const payload = peekPayload(token.trim());
  if (payload === undefined) return undefined;
  const jti = typeof payload.jti === "string" ? payload.jti : "";
  const iat = typeof payload.iat === "number" ? payload.iat : Number.NaN;
  return Number.isFinite(iat) ? { jti, iat } : undefined;
}

/** The record of a token just written. */
export function tokenRecord(
  path: string,
  namespace: string,
  serviceAccountName: string,
  request: TokenSpec,
  answer: TokenRequestLike,
): TokenRecord | undefined {
  const id = tokenIdentity(answer.status.token);
  if (id === undefined) return undefined;
  return {
    path,
    namespace,
    serviceAccountName,
    request,
    answer: answer.spec,
    expirationTimestamp: answer.status.expirationTimestamp,
    ...id,
  };
}

/** Why a token on disk was not adopted (logged at debug). */
export type AdoptionRefusal = "not-a-jwt" | "different-token" | "different-request" | "expired";

/**
 * Whether the token found on disk may be cached again: it must be the token the record describes
 * (same `jti`, or same `iat` when it has none), answer the request the pod makes now (same cache
 * key) and not have expired. A token due for refresh is adopted all the same: the manager then
 * refreshes it at once, as it would have.
 */
export function adoptToken(
  record: TokenRecord,
  tokenOnDisk: string,
  wanted: { namespace: string; serviceAccountName: string; spec: TokenSpec },
  now: number,
): { request: TokenRequestLike } | { refused: AdoptionRefusal } {
  const token = tokenOnDisk.trim();
  const id = tokenIdentity(token);
  if (id === undefined) return { refused: "not-a-jwt" };
  if (id.jti !== record.jti || id.iat !== record.iat) return { refused: "different-token" };
  const recordKey = cacheKey(record.serviceAccountName, record.namespace, record.request);
  if (recordKey !== cacheKey(wanted.serviceAccountName, wanted.namespace, wanted.spec)) {
    return { refused: "different-request" };
  }
  const request: TokenRequestLike = {
    spec: record.answer,
    status: { token, expirationTimestamp: record.expirationTimestamp },
  };
  return expired(request, now) ? { refused: "expired" } : { request };
}
