import { describe, expect, it } from "vitest";
import { parseRequestInfo, queryBool, splitPath } from "./request-info.js";

function info(method: string, url: string) {
  const u = new URL(url, "https://x");
  return parseRequestInfo(method, u.pathname, u.searchParams);
}

describe("parseRequestInfo", () => {
  // The success cases of Kubernetes' requestinfo_test.go (TestGetAPIRequestInfo).
  it.each([
    // method, url, verb, group, version, namespace, resource, subresource, name, parts
    ["GET", "/api/v1/namespaces", "list", "", "v1", "", "namespaces", "", "", ["namespaces"]],
    [
      "GET",
      "/api/v1/namespaces/other",
      "get",
      "",
      "v1",
      "other",
      "namespaces",
      "",
      "other",
      ["namespaces", "other"],
    ],
    ["GET", "/api/v1/namespaces/other/pods", "list", "", "v1", "other", "pods", "", "", ["pods"]],
    [
      "GET",
      "/api/v1/namespaces/other/pods/foo",
      "get",
      "",
      "v1",
      "other",
      "pods",
      "",
      "foo",
      ["pods", "foo"],
    ],
    [
      "HEAD",
      "/api/v1/namespaces/other/pods/foo",
      "get",
      "",
      "v1",
      "other",
      "pods",
      "",
      "foo",
      ["pods", "foo"],
    ],
    ["GET", "/api/v1/pods", "list", "", "v1", "", "pods", "", "", ["pods"]],
    ["HEAD", "/api/v1/pods", "list", "", "v1", "", "pods", "", "", ["pods"]],
    [
      "GET",
      "/api/v1/proxy/namespaces/other/pods/foo",
      "proxy",
      "",
      "v1",
      "other",
      "pods",
      "",
      "foo",
      ["pods", "foo"],
    ],
    ["GET", "/api/v1/watch/pods", "watch", "", "v1", "", "pods", "", "", ["pods"]],
    ["GET", "/api/v1/pods?watch=true", "watch", "", "v1", "", "pods", "", "", ["pods"]],
    ["GET", "/api/v1/pods?watch=false", "list", "", "v1", "", "pods", "", "", ["pods"]],
    ["GET", "/api/v1/watch/namespaces/other/pods", "watch", "", "v1", "other", "pods", "", "", ["pods"]],
    ["GET", "/api/v1/namespaces/other/pods?watch=1", "watch", "", "v1", "other", "pods", "", "", ["pods"]],
    ["GET", "/api/v1/namespaces/other/pods?watch=0", "list", "", "v1", "other", "pods", "", "", ["pods"]],
    [
      "GET",
      "/api/v1/namespaces/other/pods/foo/status",
      "get",
      "",
      "v1",
      "other",
      "pods",
      "status",
      "foo",
      ["pods", "foo", "status"],
    ],
    [
      "GET",
      "/api/v1/namespaces/other/pods/foo/proxy/subpath",
      "get",
      "",
      "v1",
      "other",
      "pods",
      "proxy",
      "foo",
      ["pods", "foo", "proxy", "subpath"],
    ],
    [
      "PUT",
      "/api/v1/namespaces/other/finalize",
      "update",
      "",
      "v1",
      "other",
      "namespaces",
      "finalize",
      "other",
      ["namespaces", "other", "finalize"],
    ],
    [
      "PUT",
      "/api/v1/namespaces/other/status",
      "update",
      "",
      "v1",
      "other",
      "namespaces",
      "status",
      "other",
      ["namespaces", "other", "status"],
    ],
    [
      "PATCH",
      "/api/v1/namespaces/other/pods/foo",
      "patch",
      "",
      "v1",
      "other",
      "pods",
      "",
      "foo",
      ["pods", "foo"],
    ],
    [
      "DELETE",
      "/api/v1/namespaces/other/pods/foo",
      "delete",
      "",
      "v1",
      "other",
      "pods",
      "",
      "foo",
      ["pods", "foo"],
    ],
    ["POST", "/api/v1/namespaces/other/pods", "create", "", "v1", "other", "pods", "", "", ["pods"]],
    ["DELETE", "/api/v1/nodes", "deletecollection", "", "v1", "", "nodes", "", "", ["nodes"]],
    ["DELETE", "/api/v1/namespaces", "deletecollection", "", "v1", "", "namespaces", "", "", ["namespaces"]],
    [
      "DELETE",
      "/api/v1/namespaces/other/pods",
      "deletecollection",
      "",
      "v1",
      "other",
      "pods",
      "",
      "",
      ["pods"],
    ],
    [
      "DELETE",
      "/apis/extensions/v1/namespaces/other/pods",
      "deletecollection",
      "extensions",
      "v1",
      "other",
      "pods",
      "",
      "",
      ["pods"],
    ],
    [
      "POST",
      "/apis/extensions/v1/namespaces/other/pods",
      "create",
      "extensions",
      "v1",
      "other",
      "pods",
      "",
      "",
      ["pods"],
    ],
    [
      "POST",
      "/apis/extensions/v1beta3/namespaces/other/pods",
      "create",
      "extensions",
      "v1beta3",
      "other",
      "pods",
      "",
      "",
      ["pods"],
    ],
    // the token subresource kubectl create token posts to
    [
      "POST",
      "/api/v1/namespaces/default/serviceaccounts/robot/token",
      "create",
      "",
      "v1",
      "default",
      "serviceaccounts",
      "token",
      "robot",
      ["serviceaccounts", "robot", "token"],
    ],
    // a name selected by the field selector counts as the name (kubectl get x -w)
    [
      "GET",
      "/api/v1/namespaces/default/serviceaccounts?watch=true&fieldSelector=metadata.name%3Drobot",
      "watch",
      "",
      "v1",
      "default",
      "serviceaccounts",
      "",
      "robot",
      ["serviceaccounts"],
    ],
  ] as const)("%s %s", (method, url, verb, group, version, namespace, resource, subresource, name, parts) => {
    const r = info(method, url);
    expect(r).toMatchObject({
      isResourceRequest: true,
      verb,
      apiGroup: group,
      apiVersion: version,
      namespace,
      resource,
      subresource,
      name,
      parts: [...parts],
    });
  });

  it.each([
    ["GET", "/"],
    ["GET", "/healthz"],
    ["GET", "/api"],
    ["GET", "/api/v1"],
    ["GET", "/apis"],
    ["GET", "/apis/rbac.authorization.k8s.io"],
    ["GET", "/apis/rbac.authorization.k8s.io/v1"],
    ["GET", "/openid/v1/jwks"],
    ["POST", "/foo/bar/baz"],
  ])("%s %s is a non-resource request with the method as verb", (method, url) => {
    const r = info(method, url);
    expect(r.isResourceRequest).toBe(false);
    expect(r.verb).toBe(method.toLowerCase());
    expect(r.path).toBe(new URL(url, "https://x").pathname);
  });

  it("marks the deprecated /watch/ path", () => {
    expect(info("GET", "/api/v1/watch/namespaces/a/serviceaccounts/b")).toMatchObject({
      verb: "watch",
      watchPath: true,
      name: "b",
      namespace: "a",
    });
  });
});

describe("queryBool", () => {
  it.each([
    [null, false],
    ["", true],
    ["true", true],
    ["1", true],
    ["yes", true],
    ["0", false],
    ["false", false],
    ["FALSE", false],
  ])("%s → %s", (value, expected) => {
    expect(queryBool(value)).toBe(expected);
  });
});

describe("splitPath", () => {
  it("trims slashes at the ends (not in the middle, as Kubernetes' splitPath) and decodes escapes", () => {
    expect(splitPath("//api/v1//namespaces/a%3Ab/")).toEqual(["api", "v1", "", "namespaces", "a:b"]);
    expect(splitPath("/")).toEqual([]);
    expect(splitPath("/bad%zz")).toEqual(["bad%zz"]);
  });
});
