import type { JsonObject } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import { aggregatedDiscovery } from "./aggregated-discovery.js";
import { customResourceDefinitionsPath, emptyCustomResourceDefinitionList } from "./crd-list.js";
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from "./legacy-discovery.js";
import { negotiateDiscovery } from "./negotiate.js";

const kubectlAccept =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

describe("negotiateDiscovery", () => {
  const cases: [string | undefined, ReturnType<typeof negotiateDiscovery>][] = [
    [
      kubectlAccept,
      { form: "v2", contentType: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" },
    ],
    [
      // kubectl 1.28
      "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
      {
        form: "v2beta1",
        contentType: "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
      },
    ],
    ["application/json", { form: "legacy", contentType: "application/json" }],
    [undefined, { form: "legacy", contentType: "application/json" }],
    ["*/*", { form: "legacy", contentType: "application/json" }],
    [
      "application/json;q=0.5, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.9",
      { form: "v2", contentType: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" },
    ],
    [
      "application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
      { form: "legacy", contentType: "application/json" },
    ],
    ["application/vnd.kubernetes.protobuf", undefined],
    ["application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", undefined],
  ];
  for (const [accept, want] of cases) {
    it(`${accept ?? "(no Accept)"}`, () => expect(negotiateDiscovery(accept)).toEqual(want));
  }
});

describe("legacy discovery", () => {
  it("GET /api", () => {
    expect(apiVersions("127.0.0.1:6443")).toEqual({
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1:6443" }],
    });
  });

  it("GET /apis lists the groups in Kubernetes' priority order", () => {
    const gv = (g: string) => ({ groupVersion: `${g}/v1`, version: "v1" });
    expect(apiGroupList()).toEqual({
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: ["authentication.k8s.io", "authorization.k8s.io", "rbac.authorization.k8s.io"].map((name) => ({
        name,
        versions: [gv(name)],
        preferredVersion: gv(name),
      })),
    });
  });

  it("GET /apis/<group>", () => {
    expect(apiGroup("rbac.authorization.k8s.io")).toEqual({
      kind: "APIGroup",
      apiVersion: "v1",
      name: "rbac.authorization.k8s.io",
      versions: [{ groupVersion: "rbac.authorization.k8s.io/v1", version: "v1" }],
      preferredVersion: { groupVersion: "rbac.authorization.k8s.io/v1", version: "v1" },
    });
    expect(apiGroup("apps")).toBeUndefined();
    expect(apiGroup("")).toBeUndefined();
  });

  it("GET /api/v1 lists every core resource and subresource, sorted, in Kubernetes' shape", () => {
    const all = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    const status = ["get", "patch", "update"];
    expect(apiResourceList("", "v1")).toEqual({
      kind: "APIResourceList",
      groupVersion: "v1",
      resources: [
        {
          name: "configmaps",
          singularName: "configmap",
          namespaced: true,
          kind: "ConfigMap",
          verbs: all,
          shortNames: ["cm"],
          storageVersionHash: "qFsyl6wFWjQ=",
        },
        {
          name: "namespaces",
          singularName: "namespace",
          namespaced: false,
          kind: "Namespace",
          verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
          shortNames: ["ns"],
          storageVersionHash: "Q3oi5N2YM8M=",
        },
        {
          name: "namespaces/finalize",
          singularName: "",
          namespaced: false,
          kind: "Namespace",
          verbs: ["update"],
        },
        { name: "namespaces/status", singularName: "", namespaced: false, kind: "Namespace", verbs: status },
        {
          name: "nodes",
          singularName: "node",
          namespaced: false,
          kind: "Node",
          verbs: all,
          shortNames: ["no"],
          storageVersionHash: "XwShjMxG9Fs=",
        },
        { name: "nodes/status", singularName: "", namespaced: false, kind: "Node", verbs: status },
        {
          name: "pods",
          singularName: "pod",
          namespaced: true,
          kind: "Pod",
          verbs: all,
          shortNames: ["po"],
          categories: ["all"],
          storageVersionHash: "xPOwRZ+Yhw8=",
        },
        { name: "pods/binding", singularName: "", namespaced: true, kind: "Binding", verbs: ["create"] },
        { name: "pods/ephemeralcontainers", singularName: "", namespaced: true, kind: "Pod", verbs: status },
        { name: "pods/status", singularName: "", namespaced: true, kind: "Pod", verbs: status },
        {
          name: "secrets",
          singularName: "secret",
          namespaced: true,
          kind: "Secret",
          verbs: all,
          storageVersionHash: "S6u1pOWzb84=",
        },
        {
          name: "serviceaccounts",
          singularName: "serviceaccount",
          namespaced: true,
          kind: "ServiceAccount",
          verbs: all,
          shortNames: ["sa"],
          storageVersionHash: "pbx9ZvyFpBE=",
        },
        {
          name: "serviceaccounts/token",
          singularName: "",
          namespaced: true,
          group: "authentication.k8s.io",
          version: "v1",
          kind: "TokenRequest",
          verbs: ["create"],
        },
      ],
    });
  });

  it("GET /apis/authentication.k8s.io/v1: review kinds have no storage hash", () => {
    expect(apiResourceList("authentication.k8s.io", "v1")).toEqual({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "authentication.k8s.io/v1",
      resources: [
        {
          name: "selfsubjectreviews",
          singularName: "selfsubjectreview",
          namespaced: false,
          kind: "SelfSubjectReview",
          verbs: ["create"],
        },
        {
          name: "tokenreviews",
          singularName: "tokenreview",
          namespaced: false,
          kind: "TokenReview",
          verbs: ["create"],
        },
      ],
    });
  });

  it("GET /apis/rbac.authorization.k8s.io/v1 names and hashes", () => {
    const list = apiResourceList("rbac.authorization.k8s.io", "v1") as JsonObject;
    const rs = list.resources as JsonObject[];
    expect(rs.map((r) => [r.name, r.namespaced, r.kind])).toEqual([
      ["clusterrolebindings", false, "ClusterRoleBinding"],
      ["clusterroles", false, "ClusterRole"],
      ["rolebindings", true, "RoleBinding"],
      ["roles", true, "Role"],
    ]);
    expect(rs[3]?.storageVersionHash).toBe("7FuwZcIIItM=");
  });

  it("an unknown group-version is undefined (404)", () => {
    expect(apiResourceList("apps", "v1")).toBeUndefined();
    expect(apiResourceList("", "v2")).toBeUndefined();
  });
});

describe("aggregated discovery", () => {
  it("/api: the core group, unnamed, with subresources and responseKinds", () => {
    const doc = aggregatedDiscovery("api", "v2");
    expect(doc.kind).toBe("APIGroupDiscoveryList");
    expect(doc.apiVersion).toBe("apidiscovery.k8s.io/v2");
    expect(doc.metadata).toEqual({});
    const items = doc.items as JsonObject[];
    expect(items).toHaveLength(1);
    expect(items[0]?.metadata).toEqual({ creationTimestamp: null });
    const versions = items[0]?.versions as JsonObject[];
    expect(versions.map((v) => [v.version, v.freshness])).toEqual([["v1", "Current"]]);
    const resources = versions[0]?.resources as JsonObject[];
    expect(resources.map((r) => r.resource)).toEqual([
      "configmaps",
      "namespaces",
      "nodes",
      "pods",
      "secrets",
      "serviceaccounts",
    ]);
    expect(resources.find((r) => r.resource === "serviceaccounts")).toEqual({
      resource: "serviceaccounts",
      responseKind: { group: "", version: "", kind: "ServiceAccount" },
      scope: "Namespaced",
      singularResource: "serviceaccount",
      verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
      shortNames: ["sa"],
      subresources: [
        {
          subresource: "token",
          responseKind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" },
          verbs: ["create"],
        },
      ],
    });
    expect(resources.find((r) => r.resource === "pods")).toEqual({
      resource: "pods",
      responseKind: { group: "", version: "", kind: "Pod" },
      scope: "Namespaced",
      singularResource: "pod",
      verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
      shortNames: ["po"],
      categories: ["all"],
      subresources: [
        {
          subresource: "binding",
          responseKind: { group: "", version: "", kind: "Binding" },
          verbs: ["create"],
        },
        {
          subresource: "ephemeralcontainers",
          responseKind: { group: "", version: "", kind: "Pod" },
          verbs: ["get", "patch", "update"],
        },
        {
          subresource: "status",
          responseKind: { group: "", version: "", kind: "Pod" },
          verbs: ["get", "patch", "update"],
        },
      ],
    });
    expect(resources.find((r) => r.resource === "namespaces")?.scope).toBe("Cluster");
  });

  it("/apis: the named groups, v2beta1 with the same shape", () => {
    const doc = aggregatedDiscovery("apis", "v2beta1");
    expect(doc.apiVersion).toBe("apidiscovery.k8s.io/v2beta1");
    const items = doc.items as JsonObject[];
    expect(items.map((i) => i.metadata)).toEqual([
      { name: "authentication.k8s.io", creationTimestamp: null },
      { name: "authorization.k8s.io", creationTimestamp: null },
      { name: "rbac.authorization.k8s.io", creationTimestamp: null },
    ]);
    const authzVersions = items[1]!.versions as JsonObject[];
    const authz = (authzVersions[0]!.resources as JsonObject[]).map((r) => [r.resource, r.scope]);
    expect(authz).toEqual([
      ["localsubjectaccessreviews", "Namespaced"],
      ["selfsubjectaccessreviews", "Cluster"],
      ["selfsubjectrulesreviews", "Cluster"],
      ["subjectaccessreviews", "Cluster"],
    ]);
  });
});

describe("emptyCustomResourceDefinitionList", () => {
  it("is the list kubectl reads before validating create-only kinds", () => {
    expect(emptyCustomResourceDefinitionList("12")).toEqual({
      kind: "CustomResourceDefinitionList",
      apiVersion: "apiextensions.k8s.io/v1",
      metadata: { resourceVersion: "12" },
      items: [],
    });
    expect(customResourceDefinitionsPath).toBe("/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
  });
});
