/**
 * List continue tokens, in Kubernetes' format (apiserver pkg/storage/continue.go): unpadded
 * base64url of `{"v":"meta.k8s.io/v1","rv":<revision of the first page>,"start":"<key to start
 * at, relative to the list prefix>"}`. Opaque to clients; decoding rejects tokens that would
 * leave the list's prefix, with Kubernetes' error texts.
 */
import { posix } from "node:path";

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

const invalidKey = "continue key is not valid";

/** A token that continues at `nextKey` (which starts with `prefix`), for a list begun at revision `rv`. */
export function encodeContinue(nextKey: string, prefix: string, rv: number): string {
  const token: ContinueToken = { v: "meta.k8s.io/v1", rv, start: nextKey.slice(prefix.length) };
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

/** The start key and first-page revision of a token, or the reason it is not valid. */
export function decodeContinue(
  token: string,
  prefix: string,
): { key: string; rv: number } | { error: string } {
  let t: Partial<ContinueToken> | null;
  try {
    if (!/^[A-Za-z0-9_-]*$/.test(token)) throw new Error("illegal base64 data");
    t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<ContinueToken> | null;
  } catch (err) {
    return { error: `${invalidKey}: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (t?.v !== "meta.k8s.io/v1") {
    return { error: `${invalidKey}: server does not recognize this encoded version ${String(t?.v ?? "")}` };
  }
  if (typeof t.rv !== "number" || !Number.isSafeInteger(t.rv) || t.rv <= 0) {
    return { error: `${invalidKey}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)` };
  }
  if (typeof t.start !== "string" || t.start === "")
    return { error: `${invalidKey}: encoded start key empty` };
  // Defends against path traversal: the cleaned key must equal the key (continue.go).
  const key = t.start.startsWith("/") ? t.start : `/${t.start}`;
  if (posix.normalize(key) !== key || key.includes("//")) return { error: `${invalidKey}: ${t.start}` };
  return { key: prefix + key.slice(1), rv: t.rv };
}
