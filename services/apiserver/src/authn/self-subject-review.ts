/**
 * SelfSubjectReview (`kubectl auth whoami`; pkg/registry/authentication/selfsubjectreview): the
 * requester as the server authenticated it. The response is a new object: only
 * `metadata.creationTimestamp` (now) and `status.userInfo`, whatever the request carried.
 */
import { create } from "@bufbuild/protobuf";
import { newBadRequest, timeFromMs } from "@tokenplane/apimachinery";
import { authnv1, metav1 } from "@tokenplane/proto";
import type { RequestContext } from "../request/context.js";

/** 400 when the request carries no user (cannot happen behind the authentication filter). */
export const NO_USER_MESSAGE = "no user present on request";

/**
 * Answers a SelfSubjectReview for `ctx.user`.
 * @param nowMs creation time, milliseconds since the epoch (default `Date.now()`)
 */
export function createSelfSubjectReview(
  ctx: RequestContext,
  _review: authnv1.SelfSubjectReview,
  nowMs: number = Date.now(),
): authnv1.SelfSubjectReview {
  const { user } = ctx;
  if (user === undefined || user === null) throw newBadRequest(NO_USER_MESSAGE);
  return create(authnv1.SelfSubjectReviewSchema, {
    metadata: create(metav1.ObjectMetaSchema, { creationTimestamp: timeFromMs(nowMs) }),
    status: create(authnv1.SelfSubjectReviewStatusSchema, {
      userInfo: create(authnv1.UserInfoSchema, {
        username: user.username,
        uid: user.uid,
        groups: [...user.groups],
        extra: Object.fromEntries(
          Object.entries(user.extra).map(([key, items]) => [
            key,
            create(authnv1.ExtraValueSchema, { items: [...items] }),
          ]),
        ),
      }),
    }),
  });
}
