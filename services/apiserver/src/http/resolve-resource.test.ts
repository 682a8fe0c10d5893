import type { StatusError } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import { parseRequestInfo } from "./request-info.js";
import { PathNotFound, resolveResource } from "./resolve-resource.js";

function resolve(method: string, url: string) {
  const u = new URL(url, "https://x");
  return resolveResource(parseRequestInfo(method, u.pathname, u.searchParams));
}

function failure(method: string, url: string): string {
  try {
    resolve(method, url);
  } catch (err) {
    if (err instanceof PathNotFound) return "page not found";
    const e = err as StatusError;
    return `${e.code} ${e.message}`;
  }
  throw new Error("expected a failure");
}

describe("resolveResource", () => {
  it.each([
    ["GET", "/api/v1/namespaces/a/serviceaccounts/b", "serviceaccounts", "a", "b", "", "get"],
    ["GET", "/api/v1/serviceaccounts", "serviceaccounts", "", "", "", "list"],
    ["GET", "/api/v1/serviceaccounts?watch=true", "serviceaccounts", "", "", "", "watch"],
    ["POST", "/api/v1/namespaces/a/serviceaccounts/b/token", "serviceaccounts", "a", "b", "token", "create"],
    ["GET", "/api/v1/namespaces/a", "namespaces", "", "a", "", "get"],
    ["PUT", "/api/v1/namespaces/a/finalize", "namespaces", "", "a", "finalize", "update"],
    ["PATCH", "/api/v1/namespaces/a/pods/p/status", "pods", "a", "p", "status", "patch"],
    ["PUT", "/api/v1/nodes/n/status", "nodes", "", "n", "status", "update"],
    ["DELETE", "/api/v1/namespaces/a/secrets", "secrets", "a", "", "", "deletecollection"],
    ["POST", "/apis/authentication.k8s.io/v1/tokenreviews", "tokenreviews", "", "", "", "create"],
    [
      "POST",
      "/apis/authorization.k8s.io/v1/namespaces/a/localsubjectaccessreviews",
      "localsubjectaccessreviews",
      "a",
      "",
      "",
      "create",
    ],
    ["GET", "/apis/rbac.authorization.k8s.io/v1/namespaces/a/roles/r", "roles", "a", "r", "", "get"],
  ])("%s %s", (method, url, resource, namespace, name, subresource, verb) => {
    const t = resolve(method, url);
    expect({
      resource: t.resource.resource,
      namespace: t.namespace,
      name: t.name,
      subresource: t.subresource,
      verb: t.verb,
    }).toEqual({
      resource,
      namespace,
      name,
      subresource,
      verb,
    });
  });

  it.each([
    ["GET", "/api/v1/namespaces/a/widgets", "404 the server could not find the requested resource"],
    ["GET", "/api/v1/namespaces/a/nodes/n", "404 the server could not find the requested resource"],
    [
      "GET",
      "/api/v1/namespaces/a/serviceaccounts/b/log",
      "404 the server could not find the requested resource",
    ],
    [
      "GET",
      "/api/v1/namespaces/a/serviceaccounts/b/token/x",
      "404 the server could not find the requested resource",
    ],
    ["GET", "/api/v1/serviceaccounts/b", "404 the server could not find the requested resource"],
    [
      "POST",
      "/api/v1/serviceaccounts",
      "405 the server does not allow this method on the requested resource",
    ],
    [
      "POST",
      "/api/v1/namespaces/a/serviceaccounts/b",
      "405 the server does not allow this method on the requested resource",
    ],
    [
      "GET",
      "/api/v1/namespaces/a/serviceaccounts/b/token",
      "405 the server does not allow this method on the requested resource",
    ],
    [
      "GET",
      "/apis/authentication.k8s.io/v1/tokenreviews",
      "405 the server does not allow this method on the requested resource",
    ],
    ["DELETE", "/api/v1/namespaces", "405 the server does not allow this method on the requested resource"],
    [
      "OPTIONS",
      "/api/v1/namespaces/a/secrets",
      "405 the server does not allow this method on the requested resource",
    ],
    [
      "POST",
      "/apis/authentication.k8s.io/v1/namespaces/a/tokenreviews",
      "400 namespace is not allowed on this type: a",
    ],
    ["GET", "/apis/example.com/v1/widgets", "page not found"],
    ["GET", "/api/v2/pods", "page not found"],
    ["GET", "/apis/rbac.authorization.k8s.io/v1beta1/roles", "page not found"],
  ])("%s %s fails: %s", (method, url, expected) => {
    expect(failure(method, url)).toBe(expected);
  });
});
