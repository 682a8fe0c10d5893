import { create } from "@bufbuild/protobuf";
import type { StatusError } from "@tokenplane/apimachinery";
import { authzv1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import type { Api } from "../api/api.js";
import type { RequestContext } from "../request/context.js";
import { impersonatedUser, impersonationRequests } from "./impersonation.js";

/** An Api whose SelfSubjectAccessReview allows what `allowed` lists (`resource/name` or `resource/sub/name`). */
function apiAllowing(allowed: string[], asked: string[] = []): Api {
  return {
    async createSelfSubjectAccessReview(_ctx: RequestContext, review: authzv1.SelfSubjectAccessReview) {
      const a = review.spec?.resourceAttributes;
      const key = [a?.resource, a?.subresource, a?.namespace, a?.name].filter((x) => x).join("/");
      asked.push(`${a?.verb} ${a?.group}|${key}`);
      return create(authzv1.SelfSubjectAccessReviewSchema, { status: { allowed: allowed.includes(key) } });
    },
  } as unknown as Api;
}

const ctx: RequestContext = {
  user: { username: "jane", uid: "", groups: ["system:authenticated"], extra: {} },
  warnings: [],
  auditAnnotations: {},
};

describe("impersonation", () => {
  it("changes nothing without headers", async () => {
    expect(await impersonatedUser(apiAllowing([]), ctx, {})).toBe(ctx.user);
  });

  it("acts as a service account with its groups, checking impersonate on serviceaccounts", async () => {
    const asked: string[] = [];
    const user = await impersonatedUser(apiAllowing(["serviceaccounts/ns/robot"], asked), ctx, {
      "impersonate-user": ["system:serviceaccount:ns:robot"],
    });
    expect(asked).toEqual(["impersonate |serviceaccounts/ns/robot"]);
    expect(user).toEqual({
      username: "system:serviceaccount:ns:robot",
      uid: "",
      groups: ["system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"],
      extra: {},
    });
  });

  it("acts as a user with groups, uid and extras, each checked", async () => {
    const asked: string[] = [];
    const user = await impersonatedUser(
      apiAllowing(["users/bob", "groups/devs", "groups/ops", "userextras/scopes/read", "uids/u-1"], asked),
      ctx,
      {
        "impersonate-user": ["bob"],
        "impersonate-group": ["devs", "ops"],
        "impersonate-extra-scopes": ["read"],
        "impersonate-uid": ["u-1"],
      },
    );
    expect(asked).toEqual([
      "impersonate |users/bob",
      "impersonate |groups/devs",
      "impersonate |groups/ops",
      "impersonate authentication.k8s.io|userextras/scopes/read",
      "impersonate authentication.k8s.io|uids/u-1",
    ]);
    expect(user).toEqual({
      username: "bob",
      uid: "u-1",
      groups: ["devs", "ops", "system:authenticated"],
      extra: { scopes: ["read"] },
    });
  });

  it("gives system:anonymous the unauthenticated group", async () => {
    const user = await impersonatedUser(apiAllowing(["users/system:anonymous"]), ctx, {
      "impersonate-user": ["system:anonymous"],
    });
    expect(user.groups).toEqual(["system:unauthenticated"]);
  });

  it("refuses with Kubernetes' 403 naming what may not be impersonated", async () => {
    const err = await impersonatedUser(apiAllowing(["users/bob"]), ctx, {
      "impersonate-user": ["bob"],
      "impersonate-group": ["system:masters"],
    }).catch((e: unknown) => e as StatusError);
    expect((err as StatusError).status).toMatchObject({
      code: 403,
      reason: "Forbidden",
      message:
        'groups "system:masters" is forbidden: User "jane" cannot impersonate resource "groups" in API group "" at the cluster scope',
    });
  });

  it("refuses groups without a user", () => {
    expect(() => impersonationRequests({ "impersonate-group": ["devs"] })).toThrow(
      "Internal error occurred: requested [{Group  devs    }] without impersonating a user",
    );
  });
});
