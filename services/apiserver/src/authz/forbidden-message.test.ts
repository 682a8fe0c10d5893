import { describe, expect, it } from "vitest";
import { forbiddenError, forbiddenMessage, newForbiddenStatus } from "./forbidden-message.js";
import { pathAttrs, resourceAttrs, serviceAccountUser, user } from "./test-fixtures.js";

describe("forbiddenMessage", () => {
  const sa = serviceAccountUser("default", "app");
  it.each([
    [
      "resource in a namespace",
      resourceAttrs(sa, "get", "serviceaccounts", { namespace: "default", name: "x" }),
      'User "system:serviceaccount:default:app" cannot get resource "serviceaccounts" in API group "" in the namespace "default"',
    ],
    [
      "cluster scope",
      resourceAttrs(user("bob"), "list", "clusterroles", { group: "rbac.authorization.k8s.io" }),
      'User "bob" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope',
    ],
    [
      "subresource",
      resourceAttrs(user("bob"), "create", "serviceaccounts/token", { namespace: "ns", name: "sa" }),
      'User "bob" cannot create resource "serviceaccounts/token" in API group "" in the namespace "ns"',
    ],
    [
      "non-resource path",
      pathAttrs(user("system:anonymous"), "get", "/.well-known/openid-configuration"),
      'User "system:anonymous" cannot get path "/.well-known/openid-configuration"',
    ],
  ])("%s", (_name, attrs, want) => {
    expect(forbiddenMessage(attrs)).toBe(want);
  });
});

describe("forbiddenError", () => {
  it("names the resource and object for a resource request", () => {
    const err = forbiddenError(
      resourceAttrs(user("system:anonymous"), "get", "serviceaccounts", { namespace: "default", name: "x" }),
      "",
    );
    expect(err.code).toBe(403);
    expect(err.reason).toBe("Forbidden");
    expect(err.message).toBe(
      'serviceaccounts "x" is forbidden: User "system:anonymous" cannot get resource "serviceaccounts" in API group "" in the namespace "default"',
    );
    expect(err.status.details).toEqual({ name: "x", kind: "serviceaccounts" });
  });

  it("uses the resource without subresource and appends the reason", () => {
    const err = forbiddenError(
      resourceAttrs(user("bob"), "create", "serviceaccounts/token", { namespace: "ns", name: "sa" }),
      'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found',
    );
    expect(err.message).toBe(
      'serviceaccounts "sa" is forbidden: User "bob" cannot create resource "serviceaccounts/token" in API group "" in the namespace "ns": RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found',
    );
  });

  it("omits the name for collection requests and qualifies non-core groups", () => {
    const err = forbiddenError(
      resourceAttrs(user("bob"), "list", "roles", { group: "rbac.authorization.k8s.io", namespace: "ns" }),
      "",
    );
    expect(err.message).toBe(
      'roles.rbac.authorization.k8s.io is forbidden: User "bob" cannot list resource "roles" in API group "rbac.authorization.k8s.io" in the namespace "ns"',
    );
    expect(err.status.details).toEqual({ group: "rbac.authorization.k8s.io", kind: "roles" });
  });

  it("renders a non-resource request as NewForbidden does with an empty GroupResource", () => {
    const err = forbiddenError(
      pathAttrs(user("system:anonymous"), "get", "/.well-known/openid-configuration"),
      "",
    );
    expect(err.message).toBe(
      'forbidden: User "system:anonymous" cannot get path "/.well-known/openid-configuration"',
    );
    expect(err.status.details).toEqual({});
  });

  it("escapes HTML in the message but not in the reason", () => {
    const err = forbiddenError(pathAttrs(user("<b>&"), "get", "/x"), "a<b");
    expect(err.message).toBe('forbidden: User "&lt;b&gt;&amp;" cannot get path "/x": a<b');
  });

  it("quotes names the Go way", () => {
    expect(newForbiddenStatus({ group: "", resource: "pods" }, 'a"b', "no").message).toBe(
      'pods "a\\"b" is forbidden: no',
    );
  });
});
