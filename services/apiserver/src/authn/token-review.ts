/**
 * TokenReview (pkg/registry/authentication/tokenreview/storage.go, reference §1.8): checks a token
 * against the requested audiences (or the API audiences) and reports who it is. Authorization of
 * the caller happens before this is called; the namespace-in-path 400 is the HTTP layer's (its
 * text is exported here).
 */
import { clone, create } from "@bufbuild/protobuf";
import { newBadRequest, newInternalError } from "@tokenplane/apimachinery";
import { authnv1 } from "@tokenplane/proto";
import type { RequestContext } from "../request/context.js";
import { INVALID_BEARER_TOKEN, type TokenAuthenticator, withAuthenticatedGroup } from "./authenticator.js";

/** 400 for a review without `spec.token`. */
export const TOKEN_REQUIRED_MESSAGE = "token is required for TokenReview in authentication";

/** 400 for a TokenReview posted under a namespace (the type is cluster-scoped). */
export function namespaceNotAllowedMessage(namespace: string): string {
  return `namespace is not allowed on this type: ${namespace}`;
}

/** The 500 cause when an authenticator answers for audiences nobody asked for (`badAuthenticatorAuds`). */
export const BAD_AUTHENTICATOR_AUDIENCES = "error validating audiences";

/**
 * Reviews a token.
 * - empty `spec.token` → 400 `token is required for TokenReview in authentication`;
 * - audiences = `spec.audiences`, or the API audiences when none are given;
 * - `status.authenticated` = the outcome; `status.error` = the authenticator's error text, or
 *   `invalid bearer token` when nothing recognised the token (the bearer wrapper's text);
 * - on success `status.user` (with `system:authenticated`, as the server's group adder adds it)
 *   and `status.audiences` (the token's audiences ∩ requested, in requested order); a rejected
 *   token leaves `status.user` empty (`"user":{}` in JSON);
 * - a success whose audiences do not meet the requested ones → 500 (never expected).
 * Warnings and audit annotations of the validation go to `ctx` when given: Kubernetes validates
 * the token on the TokenReview request's own context.
 */
export async function createTokenReview(
  review: authnv1.TokenReview,
  tokenAuthenticator: TokenAuthenticator,
  apiAudiences: readonly string[],
  ctx?: RequestContext,
): Promise<authnv1.TokenReview> {
  const token = review.spec?.token ?? "";
  if (token === "") throw newBadRequest(TOKEN_REQUIRED_MESSAGE);
  const requested = review.spec?.audiences?.length ? [...review.spec.audiences] : [...apiAudiences];

  const result = await tokenAuthenticator.authenticateToken(
    token,
    requested.length > 0 ? requested : undefined,
  );
  if (ctx !== undefined) {
    if (result.ok) ctx.warnings.push(...result.warnings);
    Object.assign(ctx.auditAnnotations, result.auditAnnotations ?? {});
  }

  const out = clone(authnv1.TokenReviewSchema, review);
  if (!result.ok) {
    out.status = create(authnv1.TokenReviewStatusSchema, {
      authenticated: false,
      user: create(authnv1.UserInfoSchema),
      error: result.error ?? INVALID_BEARER_TOKEN,
    });
    return out;
  }
  if (requested.length > 0 && !requested.some((aud) => result.audiences.includes(aud))) {
    throw newInternalError(new Error(BAD_AUTHENTICATOR_AUDIENCES));
  }
  const user = withAuthenticatedGroup(result.user);
  out.status = create(authnv1.TokenReviewStatusSchema, {
    authenticated: true,
    user: create(authnv1.UserInfoSchema, {
      username: user.username,
      uid: user.uid,
      groups: user.groups,
      extra: Object.fromEntries(
        Object.entries(user.extra).map(([key, items]) => [key, create(authnv1.ExtraValueSchema, { items })]),
      ),
    }),
    audiences: result.audiences,
  });
  return out;
}
