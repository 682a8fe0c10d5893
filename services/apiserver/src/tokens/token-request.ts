/**
 * TokenRequest: `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` (Kubernetes' TokenREST
 * in pkg/registry/core/serviceaccount/storage/token.go, reference §2.2–§2.4). Checks the request,
 * binds the token to the ServiceAccount and optionally a Pod, Node or Secret, applies the maximum
 * and the 3607 s extension, signs one JWT and returns the TokenRequest with its status.
 * Authorization (`create serviceaccounts/token`) happens before this is called.
 */

import { clone, create } from "@bufbuild/protobuf";
import {
  type FieldError,
  FieldPath,
  fieldError,
  newBadRequest,
  newConflict,
  newInternalError,
  newInvalid,
  resourceFor,
  StatusError,
  timeFromMs,
} from "@tokenplane/apimachinery";
import {
  boundClaims,
  EXPIRATION_EXTENSION_SECONDS,
  randomJti,
  type SigningKey,
  signToken,
  WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
} from "@tokenplane/crypto";
import { authnv1, type corev1, metav1 } from "@tokenplane/proto";
import {
  type Counter,
  counter,
  createMetrics,
  formatDuration,
  type Histogram,
  histogram,
  type MetricsRegistry,
} from "@tokenplane/runtime";
import type { Registry } from "../registry/registry.js";
import { durationFloorText } from "../registry/strategies/pod-volumes.js";
import type { RequestContext } from "../request/context.js";
import { type BoundObjects, resolveBoundObject } from "./bound-object.js";

const SERVICE_ACCOUNTS = resourceFor("", "serviceaccounts")!;
const TOKEN_REQUEST_KIND = { group: "authentication.k8s.io", kind: "TokenRequest" };

/** `spec.expirationSeconds` when not given (pkg/apis/authentication/v1/defaults.go). */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** Shortest lifetime a TokenRequest may ask for: 10 minutes (validation.go). */
export const MIN_EXPIRATION_SECONDS = 600;
/** Longest lifetime a TokenRequest may ask for: 2^32 s, inclusive (validation.go). */
export const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** Audit annotation carrying the new token's credential id (reference §0, §2.2 step 13). */
export const ISSUED_CREDENTIAL_ID_ANNOTATION = "authentication.kubernetes.io/issued-credential-id";
/** Audit annotation when the body uid differs and the uid gate is off (reference §2.2 step 5). */
export const UID_MISMATCH_ANNOTATION = "authentication.k8s.io/token-request-uid-mismatch";
/** Startup error for a `--service-account-max-token-expiration` outside [1 h, 2^32 s]. */
export const MAX_TOKEN_EXPIRATION_RANGE_MESSAGE =
  "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds";

/**
 * Checks a `--service-account-max-token-expiration` value in seconds (kube-apiserver options
 * completion, reference §2.4): 0 (unset) or within [3600, 2^32]. Returns the error text, or
 * undefined when it is acceptable.
 */
export function validateMaxTokenExpiration(seconds: number): string | undefined {
  if (seconds === 0) return undefined;
  return seconds >= 3600 && seconds <= MAX_EXPIRATION_SECONDS
    ? undefined
    : MAX_TOKEN_EXPIRATION_RANGE_MESSAGE;
}

/**
 * kube-apiserver's start-up warnings for an accepted `--service-account-max-token-expiration`
 * while `--service-account-extend-token-expiration` is on (options completion, reference §2.4):
 * a maximum below 3607 s defeats the extension (3607 is clamped first, §11.2), and one below a
 * year is exceeded by extended tokens. Texts as Kubernetes logs them, Go's duration format
 * included (`1h0m0s`, and its odd "set to 2h0m0s seconds").
 *
 * @param maxMs the flag in milliseconds; 0 (unset) gives no warnings
 * @param extendExpiration `--service-account-extend-token-expiration`
 */
export function maxTokenExpirationWarnings(maxMs: number, extendExpiration: boolean): string[] {
  if (maxMs === 0 || !extendExpiration) return [];
  const current = formatDuration(maxMs);
  const warnings: string[] = [];
  if (maxMs < WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS * 1000) {
    warnings.push(
      `service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, service-account-max-token-expiration must be set longer than ${WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS} seconds (currently ${current})`,
    );
  }
  if (maxMs < EXPIRATION_EXTENSION_SECONDS * 1000) {
    warnings.push(
      `service-account-extend-token-expiration is true, enabling tokens valid up to ${EXPIRATION_EXTENSION_SECONDS} seconds, which is longer than service-account-max-token-expiration set to ${current} seconds`,
    );
  }
  return warnings;
}

/** Options of {@link createTokenRequestHandler}. */
export interface TokenRequestHandlerOptions {
  /** Where ServiceAccounts and bound objects are read. */
  readonly registry: Registry;
  /** `--service-account-signing-key-file`; a getter is called per token (key rotation). */
  readonly signingKey: SigningKey | (() => SigningKey);
  /** `iss`: the first `--service-account-issuer`. */
  readonly issuer: string;
  /** `--api-audiences`: the default audiences, and the set the 3607 s extension requires. */
  readonly apiAudiences: readonly string[];
  /** `--service-account-max-token-expiration` in seconds; 0 (default) = no maximum. */
  readonly maxExpirationSeconds?: number;
  /**
   * Shortest lifetime a request may ask for, seconds; default 600 (Kubernetes' MinTokenAgeSec).
   * Only the test-only `--service-account-token-min-expiration` lowers it.
   */
  readonly minExpirationSeconds?: number;
  /** `--service-account-extend-token-expiration`; default true. */
  readonly extendExpiration?: boolean;
  /** Lifetime of extended tokens in seconds; default 31 536 000 (365 days). */
  readonly maxExtendedExpirationSeconds?: number;
  /** Time source (ms since the epoch) for iat/nbf/exp and creationTimestamp. */
  readonly clock: { now(): number };
  /** Where the `serviceaccount_tokenrequest_*` metrics are registered; default a private registry. */
  readonly metrics?: MetricsRegistry;
  /** `jti` generator; default a random UUID v4. */
  readonly newJti?: () => string;
  /** TokenRequestServiceAccountUIDValidation gate: a body uid that differs is a 409. Default true. */
  readonly serviceAccountUidValidation?: boolean;
  /** ServiceAccountTokenNodeBinding gate; default true. */
  readonly nodeBinding?: boolean;
}

/** The handler the Api calls for `serviceaccounts/token`. */
export interface TokenRequestHandler {
  /**
   * Mints a token for ServiceAccount `namespace/name`. Warnings and the issued-credential-id audit
   * annotation go to `ctx`. Throws StatusErrors with Kubernetes' texts.
   *
   * `dryRun` is accepted and changes nothing: Kubernetes' TokenREST ignores it too — nothing is
   * stored either way — so a dry-run request still returns a signed, valid token.
   */
  createToken(
    ctx: RequestContext,
    namespace: string,
    name: string,
    request: authnv1.TokenRequest,
    options?: { dryRun?: boolean },
  ): Promise<authnv1.TokenRequest>;
}

interface TokenRequestMetrics {
  readonly issued: Counter<"bound_kind">;
  readonly failures: Counter<"code">;
  readonly duration: Histogram;
}

function tokenRequestMetrics(registry: MetricsRegistry): TokenRequestMetrics {
  return {
    issued: counter(registry, {
      name: "serviceaccount_tokenrequest_issued_total",
      help: "Tokens issued through the TokenRequest API, by the kind of bound object (none, Pod, Node, Secret).",
      labelNames: ["bound_kind"],
    }),
    failures: counter(registry, {
      name: "serviceaccount_tokenrequest_failures_total",
      help: "TokenRequests refused or failed, by HTTP status code.",
      labelNames: ["code"],
    }),
    duration: histogram(registry, {
      name: "serviceaccount_tokenrequest_duration_seconds",
      help: "Time to handle a TokenRequest (lookups, validation, signing), in seconds.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    }),
  };
}

/** Creates the TokenRequest handler. */
export function createTokenRequestHandler(options: TokenRequestHandlerOptions): TokenRequestHandler {
  const { registry, clock, issuer } = options;
  const apiAudiences = [...options.apiAudiences];
  const apiAudienceSet = new Set(apiAudiences);
  const maxExpiration = Math.floor(options.maxExpirationSeconds ?? 0);
  const minExpiration = Math.floor(options.minExpirationSeconds ?? MIN_EXPIRATION_SECONDS);
  const extendExpiration = options.extendExpiration ?? true;
  const maxExtended = options.maxExtendedExpirationSeconds ?? EXPIRATION_EXTENSION_SECONDS;
  const signingKey = options.signingKey;
  const keyFor = typeof signingKey === "function" ? signingKey : () => signingKey;
  const newJti = options.newJti ?? randomJti;
  const uidValidation = options.serviceAccountUidValidation ?? true;
  const nodeBinding = options.nodeBinding ?? true;
  const metrics = tokenRequestMetrics(
    options.metrics ?? createMetrics({ service: "apiserver", defaultMetrics: false }),
  );

  async function issue(
    ctx: RequestContext,
    namespace: string,
    name: string,
    request: authnv1.TokenRequest,
  ): Promise<{ response: authnv1.TokenRequest; boundKind: string }> {
    // 1.-3. namespace and name from the URL rule; the body may only repeat them.
    if (namespace === "") throw newBadRequest("namespace is required");
    const bodyNamespace = request.metadata?.namespace ?? "";
    if (bodyNamespace !== "" && bodyNamespace !== namespace) {
      throw newBadRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    const bodyName = request.metadata?.name ?? "";
    if (bodyName !== "" && bodyName !== name) {
      throw newInvalid(TOKEN_REQUEST_KIND, name, [
        fieldError.invalid(
          FieldPath.root("metadata").child("name"),
          bodyName,
          "must match the service account name if specified",
        ),
      ]);
    }

    // 4. the ServiceAccount (404 `serviceaccounts "<name>" not found`)
    const sa = (await registry.get(SERVICE_ACCOUNTS, namespace, name)) as corev1.ServiceAccount;
    const saUid = sa.metadata?.uid ?? "";

    // 5. [new] a body uid must be the ServiceAccount's
    const bodyUid = request.metadata?.uid ?? "";
    if (bodyUid !== "" && bodyUid !== saUid) {
      const mismatch = `the UID in the token request (${bodyUid}) does not match the UID of the service account (${saUid})`;
      if (uidValidation)
        throw newConflict({ group: TOKEN_REQUEST_KIND.group, resource: "TokenRequest" }, name, mismatch);
      ctx.auditAnnotations[UID_MISMATCH_ANNOTATION] = mismatch;
      ctx.warnings.push(
        `${mismatch} but TokenRequestServiceAccountUIDValidation is not enabled. In the future, this will return a conflict error`,
      );
    }

    // 6.-7. defaults, metadata, creation time; status cleared
    const out = clone(authnv1.TokenRequestSchema, request);
    const spec = out.spec ?? create(authnv1.TokenRequestSpecSchema);
    out.spec = spec;
    if (spec.audiences.length === 0) spec.audiences = [...apiAudiences];
    if (spec.expirationSeconds === undefined) spec.expirationSeconds = BigInt(DEFAULT_EXPIRATION_SECONDS);
    const meta = out.metadata ?? create(metav1.ObjectMetaSchema);
    out.metadata = meta;
    meta.name ||= sa.metadata?.name ?? name;
    meta.namespace ||= sa.metadata?.namespace ?? namespace;
    meta.uid ||= saUid;
    const nowMs = clock.now();
    meta.creationTimestamp = timeFromMs(nowMs);
    out.status = undefined;

    // 8. static validation: note the empty name in Kubernetes' message
    const errs = validateTokenRequestSpec(spec, minExpiration);
    if (errs.length > 0) throw newInvalid(TOKEN_REQUEST_KIND, "", errs);

    // 9. the bound object
    let bound: BoundObjects | undefined;
    if (spec.boundObjectRef !== undefined) {
      bound = await resolveBoundObject(spec.boundObjectRef, {
        registry,
        namespace,
        serviceAccountName: name,
        nodeBinding,
      });
    }

    // 10. the maximum, with a warning
    let expirationSeconds = Number(spec.expirationSeconds);
    if (maxExpiration > 0 && expirationSeconds > maxExpiration) {
      ctx.warnings.push(
        `requested expiration of ${expirationSeconds} seconds shortened to ${maxExpiration} seconds`,
      );
      expirationSeconds = maxExpiration;
      spec.expirationSeconds = BigInt(maxExpiration);
    }

    // 11. the extension: after clamping, pod-bound, exactly 3607 s, only API audiences (§11.1-3)
    let exp = expirationSeconds;
    let warnafter = 0;
    if (
      extendExpiration &&
      bound?.kind === "Pod" &&
      expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS &&
      spec.audiences.every((aud) => apiAudienceSet.has(aud))
    ) {
      warnafter = expirationSeconds;
      exp = maxExtended;
    }

    // 12. claims and the signature
    const jti = newJti();
    const claims = boundClaims({
      issuer,
      audiences: spec.audiences,
      serviceAccount: {
        namespace: sa.metadata?.namespace ?? namespace,
        name: sa.metadata?.name ?? name,
        uid: saUid,
      },
      ...(bound?.pod !== undefined ? { pod: bound.pod } : {}),
      ...(bound?.secret !== undefined ? { secret: bound.secret } : {}),
      ...(bound?.node !== undefined ? { node: bound.node } : {}),
      expirationSeconds: exp,
      warnafterSeconds: warnafter,
      now: nowMs / 1000,
      jti,
    });
    let token: string;
    try {
      token = signToken(keyFor(), claims);
    } catch (err) {
      throw newInternalError(
        new Error(`failed to generate token: ${err instanceof Error ? err.message : String(err)}`),
      );
    }

    // 13. status: the un-extended lifetime (the JWT's exp may be a year later, §11.1)
    out.status = create(authnv1.TokenRequestStatusSchema, {
      token,
      expirationTimestamp: timeFromMs(nowMs + expirationSeconds * 1000),
    });
    if (jti !== "") ctx.auditAnnotations[ISSUED_CREDENTIAL_ID_ANNOTATION] = `JTI=${jti}`;
    return { response: out, boundKind: bound?.kind ?? "none" };
  }

  return {
    async createToken(ctx, namespace, name, request, _options = {}) {
      const started = performance.now();
      try {
        const { response, boundKind } = await issue(ctx, namespace, name, request);
        metrics.issued.inc({ bound_kind: boundKind });
        return response;
      } catch (err) {
        metrics.failures.inc({ code: String(err instanceof StatusError ? err.code : 500) });
        throw err;
      } finally {
        metrics.duration.observe({}, (performance.now() - started) / 1000);
      }
    },
  };
}

/** `ValidateTokenRequest` (pkg/apis/authentication/validation, reference §2.3). */
export function validateTokenRequestSpec(
  spec: authnv1.TokenRequestSpec,
  minSeconds: number = MIN_EXPIRATION_SECONDS,
): FieldError[] {
  const errs: FieldError[] = [];
  const path = FieldPath.root("spec").child("expirationSeconds");
  const seconds = spec.expirationSeconds ?? 0n;
  if (seconds < BigInt(minSeconds)) {
    errs.push(fieldError.invalid(path, seconds, durationFloorText(BigInt(minSeconds))));
  }
  if (seconds > BigInt(MAX_EXPIRATION_SECONDS)) {
    errs.push(fieldError.invalid(path, seconds, "may not specify a duration larger than 2^32 seconds"));
  }
  return errs;
}
