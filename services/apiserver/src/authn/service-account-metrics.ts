/**
 * The service account token metrics of Kubernetes' `pkg/serviceaccount/metrics.go`, same names and
 * help texts, counted at the same points: `legacy_tokens_total` for every token without `aud`
 * (jwt.go, reference §1.4 step 6, before validation); `stale_tokens_total` / `valid_tokens_total`
 * for accepted tokens carrying `warnafter`, past it or not (claims.go, §1.5 step 6); the three
 * legacy-secret counters in the legacy validator (legacy.go, §1.6).
 */
import { type Counter, counter, type MetricsRegistry } from "@tokenplane/runtime";

/** The counters. */
export interface ServiceAccountMetrics {
  /** `serviceaccount_legacy_tokens_total`: tokens without audiences. */
  readonly legacyTokens: Counter;
  /** `serviceaccount_stale_tokens_total`: extended tokens used after `warnafter`. */
  readonly staleTokens: Counter;
  /** `serviceaccount_valid_tokens_total`: extended tokens used before `warnafter`. */
  readonly validTokens: Counter;
  /** `serviceaccount_legacy_auto_token_uses_total`: auto-generated (listed in `sa.secrets`) legacy tokens. */
  readonly legacyAutoTokenUses: Counter;
  /** `serviceaccount_legacy_manual_token_uses_total`: manually created legacy token Secrets. */
  readonly legacyManualTokenUses: Counter;
  /** `serviceaccount_invalid_legacy_auto_token_uses_total`: uses of tokens marked invalid. */
  readonly invalidLegacyAutoTokenUses: Counter;
}

/** Registers (or finds) the counters on a registry. */
export function serviceAccountMetrics(registry: MetricsRegistry): ServiceAccountMetrics {
  const count = (name: string, help: string) => counter(registry, { name, help });
  return {
    legacyTokens: count(
      "serviceaccount_legacy_tokens_total",
      "Cumulative legacy service account tokens used",
    ),
    staleTokens: count(
      "serviceaccount_stale_tokens_total",
      "Cumulative stale projected service account tokens used",
    ),
    validTokens: count(
      "serviceaccount_valid_tokens_total",
      "Cumulative valid projected service account tokens used",
    ),
    legacyAutoTokenUses: count(
      "serviceaccount_legacy_auto_token_uses_total",
      "Cumulative auto-generated legacy tokens used",
    ),
    legacyManualTokenUses: count(
      "serviceaccount_legacy_manual_token_uses_total",
      "Cumulative manually created legacy tokens used",
    ),
    invalidLegacyAutoTokenUses: count(
      "serviceaccount_invalid_legacy_auto_token_uses_total",
      "Cumulative invalid auto-generated legacy tokens used",
    ),
  };
}
