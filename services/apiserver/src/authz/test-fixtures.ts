/**
 * Builders for the authorization tests: users, request attributes and policy rules written in
 * one line each. Not used by production code.
 */
import { create } from "@bufbuild/protobuf";
import { rbacv1 } from "@tokenplane/proto";
import type { UserInfo } from "../request/context.js";
import type { Attributes } from "./authorizer.js";

/** A user with the given groups. */
export function user(username: string, groups: string[] = []): UserInfo {
  return { username, uid: "", groups, extra: {} };
}

/** A service account's user as the token authenticator produces it (reference §1.7). */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return user(`system:serviceaccount:${namespace}:${name}`, [
    "system:serviceaccounts",
    `system:serviceaccounts:${namespace}`,
    "system:authenticated",
  ]);
}

/** Attributes of a resource request; `resource` may be `resource/subresource`. */
export function resourceAttrs(
  who: UserInfo,
  verb: string,
  resource: string,
  options: { group?: string; namespace?: string; name?: string } = {},
): Attributes {
  const [res, sub = ""] = resource.split("/", 2) as [string, string?];
  return {
    user: who,
    verb,
    resourceRequest: true,
    apiGroup: options.group ?? "",
    apiVersion: "v1",
    resource: res,
    subresource: sub,
    namespace: options.namespace ?? "",
    name: options.name ?? "",
    path: "",
  };
}

/** Attributes of a non-resource request. */
export function pathAttrs(who: UserInfo, verb: string, path: string): Attributes {
  return {
    user: who,
    verb,
    resourceRequest: false,
    apiGroup: "",
    apiVersion: "",
    resource: "",
    subresource: "",
    namespace: "",
    name: "",
    path,
  };
}

/** A policy rule message. */
export function policyRule(r: Partial<Omit<rbacv1.PolicyRule, "$typeName">>): rbacv1.PolicyRule {
  return create(rbacv1.PolicyRuleSchema, r);
}
