/**
 * The kubelet's token manager (pkg/kubelet/token/token_manager.go, reference §5): a cache of
 * TokenRequest results keyed by what was asked, refreshed after 80 % of the lifetime or 24 h
 * (minus a jitter of 0–9 s), serving the cached token while a refresh fails, dropping expired
 * entries every minute and a pod's entries when the pod goes.
 *
 * Pure apart from the injected `fetch` (the TokenRequest call): time comes from the clock, the
 * jitter from `random`. One departure, for the single scheduler loop: the kubelet draws a new
 * jitter at each check (its volume manager re-checks about every minute); this port draws one
 * jitter per stored token, so the scheduler can wake exactly when the check turns true. Each
 * token's refresh time has the same distribution.
 */
import type { Clock, Counter, Gauge, Logger } from "@tokenplane/runtime";
import { errorMessage, KubeletSimError } from "../errors.js";
import {
  cacheKey,
  drawJitterSeconds,
  expired,
  refreshDueAt,
  requiresRefresh,
  type TokenRequestLike,
  type TokenSpec,
} from "./refresh-rules.js";

/** Calls TokenRequest (`POST /api/v1/namespaces/<namespace>/serviceaccounts/<name>/token`); resolves with the server's answer. */
export type TokenFetcher = (namespace: string, name: string, spec: TokenSpec) => Promise<TokenRequestLike>;

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly fetch: TokenFetcher;
  /** Source of the refresh jitter, `[0, 1)`; default `Math.random`. */
  readonly random?: () => number;
  /** Kept equal to the number of cached entries. */
  readonly cachedGauge?: Gauge<never>;
  /** Counts refreshes that failed while the cached token was served. */
  readonly refreshFailures?: Counter<never>;
}

/** One cache entry. */
export interface CachedToken {
  /** The {@link cacheKey} it is stored under. */
  readonly key: string;
  /** The server's answer: its spec (defaulted by the server) and status. */
  readonly request: TokenRequestLike;
  /** The jitter drawn for this token, whole seconds (0–9). */
  readonly jitterSeconds: number;
  /** When it was stored, milliseconds since the epoch. */
  readonly storedAt: number;
  /** `spec.boundObjectRef.uid` (of the answer, else of the request), the index of `deleteServiceAccountToken`. */
  readonly podUid: string | undefined;
}

/** What {@link TokenManager.getServiceAccountToken} resolves with. */
export interface TokenResult {
  readonly token: CachedToken;
  /** True when a TokenRequest was made and succeeded now. */
  readonly fetched: boolean;
  /** Set when a refresh failed and the still valid cached token was returned. */
  readonly refreshError?: unknown;
}

/** The token manager. */
export class TokenManager {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #fetch: TokenFetcher;
  readonly #random: () => number;
  readonly #gauge: Gauge<never> | undefined;
  readonly #failures: Counter<never> | undefined;
  readonly #cache = new Map<string, CachedToken>();
  /** Keys by `boundObjectRef.uid`, so a pod's entries go without scanning the cache. */
  readonly #byPod = new Map<string, Set<string>>();

  constructor(options: TokenManagerOptions) {
    this.#clock = options.clock;
    this.#log = options.log;
    this.#fetch = options.fetch;
    this.#random = options.random ?? Math.random;
    this.#gauge = options.cachedGauge;
    this.#failures = options.refreshFailures;
  }

  /** Number of cached entries. */
  get size(): number {
    return this.#cache.size;
  }

  /** The cached entry for this request, if any (no refresh, no fetch). */
  cached(namespace: string, name: string, spec: TokenSpec): CachedToken | undefined {
    return this.#cache.get(cacheKey(name, namespace, spec));
  }

  /**
   * `GetServiceAccountToken`: the cached token unless it requires a refresh; otherwise a new one
   * from the apiserver. When that fails: no cached token → `failed to fetch token: <err>`
   * (ERR_TOKEN_FETCH); cached but expired → `token <key> expired and refresh failed: <err>`
   * (ERR_TOKEN_EXPIRED); cached and still valid → logged (`Couldn't update token`) and the cached
   * token is returned with `refreshError` set.
   */
  async getServiceAccountToken(namespace: string, name: string, spec: TokenSpec): Promise<TokenResult> {
    const key = cacheKey(name, namespace, spec);
    const cached = this.#cache.get(key);
    if (cached !== undefined && !requiresRefresh(cached.request, this.#clock.now(), cached.jitterSeconds)) {
      return { token: cached, fetched: false };
    }
    let answer: TokenRequestLike;
    try {
      answer = await this.#fetch(namespace, name, spec);
    } catch (err) {
      // The cache may have changed while the call ran (the pod went): read it again.
      const current = this.#cache.get(key);
      if (current === undefined) {
        throw new KubeletSimError("ERR_TOKEN_FETCH", `failed to fetch token: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      if (expired(current.request, this.#clock.now())) {
        throw new KubeletSimError(
          "ERR_TOKEN_EXPIRED",
          `token ${key} expired and refresh failed: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      }
      this.#failures?.inc();
      this.#log.error({ err, cacheKey: key }, "Couldn't update token");
      return { token: current, fetched: false, refreshError: err };
    }
    return { token: this.#set(key, spec, answer), fetched: true };
  }

  /**
   * Puts a token into the cache without a TokenRequest (re-adoption of a token found on disk at
   * start): `spec` is what the pod asks for (the key), `request` the answer stored with it.
   */
  adopt(namespace: string, name: string, spec: TokenSpec, request: TokenRequestLike): CachedToken {
    return this.#set(cacheKey(name, namespace, spec), spec, request);
  }

  /** When the cached token for this request requires a refresh (see `refreshDueAt`); undefined when not cached or never. */
  refreshDueAt(namespace: string, name: string, spec: TokenSpec): number | undefined {
    const cached = this.cached(namespace, name, spec);
    return cached === undefined ? undefined : refreshDueAt(cached.request, cached.jitterSeconds);
  }

  /** `DeleteServiceAccountToken(podUID)`: drops every entry whose `spec.boundObjectRef.uid` is the pod's. */
  deleteServiceAccountToken(podUID: string): number {
    const keys = this.#byPod.get(podUID);
    if (keys === undefined) return 0;
    for (const key of keys) this.#cache.delete(key);
    this.#byPod.delete(podUID);
    this.#gauge?.set({}, this.#cache.size);
    return keys.size;
  }

  /** The periodic garbage collection (every {@link GC_PERIOD_MS}): drops expired entries; returns how many. */
  cleanup(): number {
    const now = this.#clock.now();
    let dropped = 0;
    for (const [key, entry] of this.#cache) {
      if (!expired(entry.request, now)) continue;
      this.#cache.delete(key);
      this.#unindex(key, entry);
      dropped++;
    }
    if (dropped > 0) this.#gauge?.set({}, this.#cache.size);
    return dropped;
  }

  #set(key: string, spec: TokenSpec, request: TokenRequestLike): CachedToken {
    const previous = this.#cache.get(key);
    if (previous !== undefined) this.#unindex(key, previous);
    const uid = podUidOf(request.spec) ?? podUidOf(spec);
    const entry: CachedToken = {
      key,
      request,
      jitterSeconds: drawJitterSeconds(this.#random),
      storedAt: this.#clock.now(),
      podUid: uid,
    };
    this.#cache.set(key, entry);
    if (uid !== undefined) {
      let keys = this.#byPod.get(uid);
      if (keys === undefined) {
        keys = new Set();
        this.#byPod.set(uid, keys);
      }
      keys.add(key);
    }
    this.#gauge?.set({}, this.#cache.size);
    return entry;
  }

  #unindex(key: string, entry: CachedToken): void {
    const uid = entry.podUid;
    if (uid === undefined) return;
    const keys = this.#byPod.get(uid);
    keys?.delete(key);
    if (keys?.size === 0) this.#byPod.delete(uid);
  }
}

function podUidOf(spec: TokenSpec): string | undefined {
  const uid = spec.boundObjectRef?.uid;
  return uid === undefined || uid === "" ? undefined : uid;
}
