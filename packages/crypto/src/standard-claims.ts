import { type Decoded, decodeGoStruct, type JsonObject, type StructSpec } from "./go-json.js";

/** The registered claims of a verified token as go-jose's `jwt.Claims` decodes them. */
export interface StandardClaims {
  /** `iss`, "" when absent. */
  readonly iss: string;
  /** `sub`, "" when absent. */
  readonly sub: string;
  /** `aud` (a string becomes a one-element list), [] when absent. */
  readonly aud: readonly string[];
  /** `exp`, seconds since the epoch (truncated), absent when not in the token. */
  readonly exp?: number;
  /** `nbf`, seconds since the epoch (truncated), absent when not in the token. */
  readonly nbf?: number;
  /** `iat`, seconds since the epoch (truncated), absent when not in the token. */
  readonly iat?: number;
  /** `jti`, "" when absent. */
  readonly jti: string;
}

const CLAIMS_SPEC: StructSpec = {
  kind: "struct",
  name: "Claims",
  goType: "jwt.Claims",
  fields: {
    iss: { kind: "string" },
    sub: { kind: "string" },
    aud: { kind: "audience" },
    exp: { kind: "numericDate" },
    nbf: { kind: "numericDate" },
    iat: { kind: "numericDate" },
    jti: { kind: "string" },
  },
};

/** Decodes the registered claims out of a payload object, with go-jose's error texts. */
export function decodeStandardClaims(payload: JsonObject): Decoded<StandardClaims> {
  const decoded = decodeGoStruct(CLAIMS_SPEC, payload);
  if (!decoded.ok) return decoded;
  const v = decoded.value as {
    iss?: string;
    sub?: string;
    aud?: string[];
    exp?: number;
    nbf?: number;
    iat?: number;
    jti?: string;
  };
  return {
    ok: true,
    value: {
      iss: v.iss ?? "",
      sub: v.sub ?? "",
      aud: v.aud ?? [],
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.iat !== undefined ? { iat: v.iat } : {}),
      jti: v.jti ?? "",
    },
  };
}
