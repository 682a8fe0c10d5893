/**
 * Kubernetes' cached token authenticator (k8s.io/apiserver token/cache): kube-apiserver wraps the
 * token union in it with a success TTL of 10 s and a failure TTL of 0 (reference §1.3), so a
 * token whose ServiceAccount or Pod has just been deleted still authenticates for up to 10 s.
 *
 * - Key: HMAC-SHA256, under a random per-process key, of the requested audiences and the token
 *   (each length-prefixed). The token itself is never kept in a map or logged.
 * - Only successes are stored; failures and "not mine" answers are asked again every time.
 * - A stored success replays its warnings and audit annotations, as Kubernetes records them.
 * - Concurrent lookups of the same key share one call to the inner authenticator (singleflight).
 * - Bounded: least recently used entries go first beyond `maxEntries`.
 */
import { createHmac, randomBytes } from "node:crypto";
import { type Counter, counter, createMetrics, type MetricsRegistry } from "@tokenplane/runtime";
import type { TokenAuthenticationResult, TokenAuthenticator } from "./authenticator.js";

/**
 * kube-apiserver's success TTL: 10 s (`BuiltInAuthenticationOptions.TokenSuccessCacheTTL`, fixed in
 * Kubernetes — there is no flag for it; reference §1.3).
 */
export const DEFAULT_TOKEN_SUCCESS_CACHE_TTL_MS = 10_000;
/** Default bound on cached entries. */
export const DEFAULT_TOKEN_CACHE_MAX_ENTRIES = 10_000;

/** Options of {@link createCachedTokenAuthenticator}. */
export interface TokenCacheOptions {
  /** Time source (ms since the epoch). */
  readonly clock: { now(): number };
  /** How long a success is reused, in milliseconds; default 10 000. 0 disables the cache. */
  readonly successTtlMs?: number;
  /** Most entries kept; the least recently used is dropped beyond it. Default 10 000. */
  readonly maxEntries?: number;
  /** Where `authentication_token_cache_request_total{status}` is counted; default a private registry. */
  readonly metrics?: MetricsRegistry;
}

/** The cached authenticator. */
export interface CachedTokenAuthenticator extends TokenAuthenticator {
  /** Entries currently held (including expired ones not yet evicted). */
  readonly size: number;
  /** Drops every entry. */
  clear(): void;
}

type Success = Extract<TokenAuthenticationResult, { ok: true }>;

interface Entry {
  readonly result: Success;
  readonly expiresAt: number;
}

function copySuccess(r: Success): Success {
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(r.user.extra)) extra[k] = [...v];
  return {
    ok: true,
    user: { username: r.user.username, uid: r.user.uid, groups: [...r.user.groups], extra },
    audiences: [...r.audiences],
    warnings: [...r.warnings],
    auditAnnotations: { ...r.auditAnnotations },
  };
}

/** Wraps a token authenticator with the success cache. */
export function createCachedTokenAuthenticator(
  inner: TokenAuthenticator,
  options: TokenCacheOptions,
): CachedTokenAuthenticator {
  const ttl = options.successTtlMs ?? DEFAULT_TOKEN_SUCCESS_CACHE_TTL_MS;
  const maxEntries = options.maxEntries ?? DEFAULT_TOKEN_CACHE_MAX_ENTRIES;
  if (!(ttl >= 0)) throw new TypeError(`successTtlMs must be >= 0, got ${ttl}`);
  if (!(maxEntries >= 1)) throw new TypeError(`maxEntries must be >= 1, got ${maxEntries}`);
  const { clock } = options;
  const requests: Counter<"status"> = counter(
    options.metrics ?? createMetrics({ service: "apiserver", defaultMetrics: false }),
    {
      name: "authentication_token_cache_request_total",
      help: "Total number of requests to the token cache, by hit or miss.",
      labelNames: ["status"],
    },
  );
  const hmacKey = randomBytes(32);
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<TokenAuthenticationResult>>();

  function keyFor(token: string, audiences: readonly string[]): string {
    const mac = createHmac("sha256", hmacKey);
    const length = Buffer.alloc(4);
    for (const aud of audiences) {
      length.writeUInt32BE(Buffer.byteLength(aud));
      mac.update(length).update(aud);
    }
    // A separator no audience length can equal ends the audience list.
    mac.update(Buffer.from([0xff, 0xff, 0xff, 0xff])).update(token);
    return mac.digest("base64");
  }

  async function fetch(key: string, token: string, audiences: string[] | undefined) {
    const result = await inner.authenticateToken(token, audiences);
    if (result.ok && ttl > 0) {
      entries.set(key, { result: copySuccess(result), expiresAt: clock.now() + ttl });
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    }
    return result;
  }

  return {
    async authenticateToken(token, audiences) {
      if (ttl === 0) return inner.authenticateToken(token, audiences);
      const key = keyFor(token, audiences ?? []);
      const entry = entries.get(key);
      if (entry !== undefined) {
        if (clock.now() < entry.expiresAt) {
          // Most recently used moves to the end of the map's order.
          entries.delete(key);
          entries.set(key, entry);
          requests.inc({ status: "hit" });
          return copySuccess(entry.result);
        }
        entries.delete(key);
      }
      requests.inc({ status: "miss" });
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = fetch(key, token, audiences).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const result = await pending;
      if (result.ok) return copySuccess(result);
      // Concurrent callers share the answer; each gets its own annotations object.
      return result.auditAnnotations === undefined
        ? result
        : { ...result, auditAnnotations: { ...result.auditAnnotations } };
    },
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
    },
  };
}
