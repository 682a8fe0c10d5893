/**
 * The service account token authenticators of kube-apiserver (reference §1.3), as one
 * {@link TokenAuthenticator}: the legacy one (issuer `kubernetes/serviceaccount`, legacy validator,
 * lookup per `--service-account-lookup`) and the bound one (every `--service-account-issuer`,
 * bound validator), tried in that order as Kubernetes' token union does
 * (pkg/kubeapiserver/authenticator/config.go appends legacy first): the first success wins; an
 * authenticator's error is collected and the next one still tries (`tokenunion.New`, not
 * fail-on-error); the collected errors come back as Kubernetes' aggregate. A token neither
 * recognises (not a JWT, foreign issuer) is "not mine" (`ok: false`, no error).
 *
 * The validators' side effects are carried out here: warnings and audit annotations go into the
 * result; the legacy last-used label write goes to a background {@link LastUsedUpdater}; and the
 * Kubernetes counters of `pkg/serviceaccount/metrics.go` are counted.
 */
import {
  type BoundPrivateClaims,
  createBoundValidator,
  createJwtAuthenticator,
  createKeySet,
  createLegacyValidator,
  DEFAULT_LEEWAY_SECONDS,
  type JwtAuthenticator,
  KeySet,
  LEGACY_AUDIT_ANNOTATIONS,
  LEGACY_ISSUER,
  LEGACY_TOKEN_ANNOTATION,
  type LegacyPrivateClaims,
  type ObjectRef,
  STALE_TOKEN_ANNOTATION,
  type TokenObjectGetter,
  type TokenValidator,
  type VerificationKey,
} from "@tokenplane/crypto";
import { createMetrics, type Logger, type MetricsRegistry } from "@tokenplane/runtime";
import type { Registry } from "../registry/registry.js";
import { aggregateErrors, type TokenAuthenticationResult, type TokenAuthenticator } from "./authenticator.js";
import { createLastUsedUpdater } from "./last-used-updater.js";
import { type ServiceAccountMetrics, serviceAccountMetrics } from "./service-account-metrics.js";
import { createRegistryTokenGetter } from "./token-getter.js";

/** Options of {@link createServiceAccountTokenAuthenticator}. */
export interface ServiceAccountTokenAuthenticatorOptions {
  /** Where ServiceAccounts, Secrets, Pods and Nodes are read and the last-used label is written. */
  readonly registry: Registry;
  /** Time source (ms since the epoch) for expiry, deletion grace and the last-used date. */
  readonly clock: { now(): number };
  /** Logs failed last-used label writes. */
  readonly log: Logger;
  /** Where the `serviceaccount_*` counters are registered; default a private registry. */
  readonly metrics?: MetricsRegistry;
  /** `--service-account-issuer` values: all are accepted for bound tokens (the first signs). */
  readonly issuers: readonly string[];
  /**
   * Verification keys: every key of every `--service-account-key-file`, a KeySet, or a getter
   * called per token (key rotation).
   */
  readonly keys: readonly VerificationKey[] | KeySet | (() => KeySet);
  /** `--api-audiences`; default the issuers (kube-apiserver's default, reference §1.3). */
  readonly apiAudiences?: readonly string[];
  /** `--service-account-lookup`: legacy tokens are checked against their Secret and ServiceAccount. Default true. */
  readonly lookup?: boolean;
  /** Object reads; default {@link createRegistryTokenGetter} over `registry`. */
  readonly getter?: TokenObjectGetter;
  /**
   * Seconds after a ServiceAccount's, Secret's, Pod's or Node's deletionTimestamp during which
   * bound tokens referring to it still authenticate. Default 60 — Kubernetes' fixed go-jose
   * leeway (reference §1.5); other values are a test-only override
   * (`--service-account-token-deletion-grace`). Legacy tokens have no grace either way.
   */
  readonly deletionGraceSeconds?: number;
}

/**
 * A getter whose deletion timestamps are moved so that the bound validator's fixed rule
 * "deleted before now − 60 s" means "deleted before now − grace".
 */
function withDeletionGrace(getter: TokenObjectGetter, graceSeconds: number): TokenObjectGetter {
  const shiftMs = (graceSeconds - DEFAULT_LEEWAY_SECONDS) * 1000;
  if (shiftMs === 0) return getter;
  const shift = async <T extends ObjectRef>(ref: Promise<T> | T): Promise<T> => {
    const r = await ref;
    return r.deletionTimestamp === undefined ? r : { ...r, deletionTimestamp: r.deletionTimestamp + shiftMs };
  };
  return {
    getServiceAccount: (namespace, name) => shift(getter.getServiceAccount(namespace, name)),
    getPod: (namespace, name) => shift(getter.getPod(namespace, name)),
    getSecret: (namespace, name) => shift(getter.getSecret(namespace, name)),
    getNode: (name) => shift(getter.getNode(name)),
  };
}

/** The authenticator, plus a way to wait for its background writes. */
export interface ServiceAccountTokenAuthenticator extends TokenAuthenticator {
  /** Resolves once every last-used label write started so far has finished. */
  idle(): Promise<void>;
}

/** Counts extended (warnafter) tokens as stale or valid, as claims.go does on success. */
function countingBoundValidator(
  inner: TokenValidator<BoundPrivateClaims>,
  metrics: ServiceAccountMetrics,
): TokenValidator<BoundPrivateClaims> {
  return {
    decodePrivateClaims: (payload) => inner.decodePrivateClaims(payload),
    async validate(request) {
      const result = await inner.validate(request);
      if (result.ok && request.privateClaims.warnafter) {
        if (STALE_TOKEN_ANNOTATION in result.auditAnnotations) metrics.staleTokens.inc();
        else metrics.validTokens.inc();
      }
      return result;
    },
  };
}

/** Counts legacy token uses by kind of Secret, as legacy.go does. */
function countingLegacyValidator(
  inner: TokenValidator<LegacyPrivateClaims>,
  metrics: ServiceAccountMetrics,
): TokenValidator<LegacyPrivateClaims> {
  return {
    decodePrivateClaims: (payload) => inner.decodePrivateClaims(payload),
    async validate(request) {
      const result = await inner.validate(request);
      const annotations = result.auditAnnotations;
      if (LEGACY_AUDIT_ANNOTATIONS.invalidated in annotations) metrics.invalidLegacyAutoTokenUses.inc();
      if (LEGACY_AUDIT_ANNOTATIONS.autogenerated in annotations) metrics.legacyAutoTokenUses.inc();
      if (LEGACY_AUDIT_ANNOTATIONS.manual in annotations) metrics.legacyManualTokenUses.inc();
      return result;
    },
  };
}

/** Creates the legacy + bound service account token authenticator. */
export function createServiceAccountTokenAuthenticator(
  options: ServiceAccountTokenAuthenticatorOptions,
): ServiceAccountTokenAuthenticator {
  const { registry, clock, log } = options;
  if (options.issuers.length === 0) throw new TypeError("service-account-issuer is a required flag");
  const grace = options.deletionGraceSeconds ?? DEFAULT_LEEWAY_SECONDS;
  if (!(grace >= 0)) throw new TypeError(`deletionGraceSeconds must be >= 0, got ${grace}`);
  const metrics = serviceAccountMetrics(
    options.metrics ?? createMetrics({ service: "apiserver", defaultMetrics: false }),
  );
  const getter = options.getter ?? createRegistryTokenGetter(registry);
  const given = options.keys;
  const keys = given instanceof KeySet || typeof given === "function" ? given : createKeySet(given);
  const implicitAudiences = options.apiAudiences ?? options.issuers;
  const now = () => clock.now();
  const lastUsed = createLastUsedUpdater({ registry, log });

  const authenticators: JwtAuthenticator[] = [
    createJwtAuthenticator({
      issuers: [LEGACY_ISSUER],
      keys,
      implicitAudiences,
      validator: countingLegacyValidator(
        createLegacyValidator({ lookup: options.lookup ?? true, getter, now }),
        metrics,
      ),
    }),
    createJwtAuthenticator({
      issuers: options.issuers,
      keys,
      implicitAudiences,
      validator: countingBoundValidator(
        createBoundValidator({
          getter: withDeletionGrace(getter, grace),
          now,
        }),
        metrics,
      ),
    }),
  ];

  async function authenticateToken(
    token: string,
    audiences: string[] | undefined,
  ): Promise<TokenAuthenticationResult> {
    const errors: string[] = [];
    // Annotations of a rejection stay, as they would on Kubernetes' request context.
    const rejectedAnnotations: Record<string, string> = {};
    for (const authenticator of authenticators) {
      const result = await authenticator.authenticate(token, audiences);
      if (result.ok === false && result.error === undefined) continue; // not mine
      if (LEGACY_TOKEN_ANNOTATION in result.auditAnnotations) metrics.legacyTokens.inc();
      if (result.lastUsed !== undefined) lastUsed.schedule(result.lastUsed);
      if (result.ok) {
        const { user } = result;
        return {
          ok: true,
          user: {
            username: user.username,
            uid: user.uid,
            groups: [...user.groups],
            extra: { ...user.extra },
          },
          audiences: [...result.audiences],
          warnings: [...result.warnings],
          auditAnnotations: { ...rejectedAnnotations, ...result.auditAnnotations },
        };
      }
      errors.push(result.error.message);
      Object.assign(rejectedAnnotations, result.auditAnnotations);
    }
    if (errors.length === 0) return { ok: false };
    return { ok: false, error: aggregateErrors(errors), auditAnnotations: rejectedAnnotations };
  }

  return { authenticateToken, idle: () => lastUsed.idle() };
}
