import { type JsonObject, resources } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import { kindDefinitionName } from "./definition-names.js";
import { buildOpenApiV2Document, negotiateOpenApiV2, openApiV2Document } from "./openapi-v2.js";
import {
  buildOpenApiV3Document,
  computeEtag,
  openApiV3Document,
  openApiV3Index,
  openApiV3Response,
} from "./openapi-v3.js";
import { groupVersionOperations } from "./operations.js";

const core = buildOpenApiV3Document("", "v1") as JsonObject;
const schemas = (core.components as JsonObject).schemas as Record<string, JsonObject>;
const props = (name: string) => schemas[name]?.properties as Record<string, JsonObject>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe("OpenAPI v3 index and documents", () => {
  it("the index points at every group-version by its hash", () => {
    const index = JSON.parse(openApiV3Index().body) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    expect(Object.keys(index.paths)).toEqual([
      "api/v1",
      "apis/authentication.k8s.io/v1",
      "apis/authorization.k8s.io/v1",
      "apis/rbac.authorization.k8s.io/v1",
    ]);
    for (const [path, { serverRelativeURL }] of Object.entries(index.paths)) {
      const doc = openApiV3Document(path)!;
      expect(serverRelativeURL).toBe(`/openapi/v3/${path}?hash=${doc.etag}`);
      expect(doc.etag).toBe(computeEtag(doc.body));
      expect(doc.etag).toMatch(/^[0-9A-F]{128}$/);
    }
  });

  it("documents are byte-stable", () => {
    expect(JSON.stringify(buildOpenApiV3Document("", "v1"))).toBe(openApiV3Document("api/v1")!.body);
  });

  it("every served kind has a schema with its group-version-kind and operations carrying it", () => {
    for (const r of resources) {
      const path = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
      const doc = JSON.parse(openApiV3Document(path)!.body) as JsonObject;
      const s = ((doc.components as JsonObject).schemas as Record<string, JsonObject>)[kindDefinitionName(r)];
      expect(s?.["x-kubernetes-group-version-kind"], r.kind).toEqual([
        { group: r.group, kind: r.kind, version: r.version },
      ]);
      const ops = groupVersionOperations(r.group, r.version).filter((o) => o.gvk.kind === r.kind);
      expect(ops.length, r.kind).toBeGreaterThan(0);
    }
  });

  it("a ServiceAccount schema describes exactly its JSON", () => {
    expect(schemas["io.k8s.api.core.v1.ServiceAccount"]).toMatchObject({
      type: "object",
      "x-kubernetes-group-version-kind": [{ group: "", kind: "ServiceAccount", version: "v1" }],
    });
    const p = props("io.k8s.api.core.v1.ServiceAccount");
    expect(Object.keys(p)).toEqual([
      "apiVersion",
      "automountServiceAccountToken",
      "imagePullSecrets",
      "kind",
      "metadata",
      "secrets",
    ]);
    expect(p.metadata).toEqual({
      allOf: [ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")],
      description:
        "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    });
    expect(p.secrets).toMatchObject({
      type: "array",
      items: { allOf: [ref("io.k8s.api.core.v1.ObjectReference")], default: {} },
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(p.automountServiceAccountToken?.type).toBe("boolean");
  });

  it("scalar and special JSON forms", () => {
    const meta = props("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    expect(meta.generation).toMatchObject({ type: "integer", format: "int64" });
    expect(meta.labels).toMatchObject({
      type: "object",
      additionalProperties: { type: "string", default: "" },
    });
    expect(meta.creationTimestamp).toMatchObject({
      allOf: [ref("io.k8s.apimachinery.pkg.apis.meta.v1.Time")],
    });
    expect(meta.finalizers).toMatchObject({
      "x-kubernetes-list-type": "set",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(meta.ownerReferences).toMatchObject({
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["uid"],
      "x-kubernetes-patch-merge-key": "uid",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]).toMatchObject({
      type: "string",
      format: "date-time",
    });
    expect(schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]).toMatchObject({
      oneOf: [{ type: "string" }, { type: "number" }],
    });
    expect(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({
      oneOf: [{ type: "integer" }, { type: "string" }],
      format: "int-or-string",
    });
    // Probe.handler is inlined: its members are the probe's own keys.
    expect(Object.keys(props("io.k8s.api.core.v1.Probe"))).toEqual([
      "exec",
      "failureThreshold",
      "grpc",
      "httpGet",
      "initialDelaySeconds",
      "periodSeconds",
      "successThreshold",
      "tcpSocket",
      "terminationGracePeriodSeconds",
      "timeoutSeconds",
    ]);
    expect(props("io.k8s.api.core.v1.HTTPGetAction").port).toMatchObject({
      allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString" }],
    });
    expect(props("io.k8s.api.core.v1.Container").livenessProbe).toMatchObject({
      allOf: [{ $ref: "#/components/schemas/io.k8s.api.core.v1.Probe" }],
    });
    expect(props("io.k8s.api.core.v1.Secret").data).toMatchObject({
      type: "object",
      additionalProperties: { type: "string", format: "byte" },
    });
    expect(props("io.k8s.api.core.v1.ContainerPort").containerPort).toEqual({
      type: "integer",
      format: "int32",
    });
    const authn = JSON.parse(openApiV3Document("apis/authentication.k8s.io/v1")!.body) as JsonObject;
    const userInfo = ((authn.components as JsonObject).schemas as Record<string, JsonObject>)[
      "io.k8s.api.authentication.v1.UserInfo"
    ]!;
    expect((userInfo.properties as Record<string, JsonObject>).extra).toMatchObject({
      type: "object",
      additionalProperties: { type: "array", items: { type: "string", default: "" } },
    });
  });

  it("inline members are flattened: Volume has its sources, selectors their name", () => {
    expect(Object.keys(props("io.k8s.api.core.v1.Volume"))).toEqual([
      "configMap",
      "downwardAPI",
      "emptyDir",
      "hostPath",
      "name",
      "projected",
      "secret",
    ]);
    expect(schemas["io.k8s.api.core.v1.VolumeSource"]).toBeUndefined();
    expect(Object.keys(props("io.k8s.api.core.v1.SecretKeySelector"))).toEqual(["key", "name", "optional"]);
    expect(schemas["io.k8s.api.core.v1.Volume"]?.required).toEqual(["name"]);
    expect(props("io.k8s.api.core.v1.EphemeralContainer").env).toMatchObject({
      "x-kubernetes-patch-merge-key": "name",
    });
  });

  it("pod list markers: volumes merge,retainKeys; ports keyed by containerPort and protocol", () => {
    expect(props("io.k8s.api.core.v1.PodSpec").volumes).toMatchObject({
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge,retainKeys",
    });
    expect(props("io.k8s.api.core.v1.Container").ports).toMatchObject({
      "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
      "x-kubernetes-patch-merge-key": "containerPort",
    });
    expect(props("io.k8s.api.core.v1.PodSpec").tolerations?.["x-kubernetes-list-type"]).toBe("atomic");
  });

  it("PATCH of a serviceaccount declares fieldValidation, the GVK and the four patch types", () => {
    const item = (core.paths as Record<string, JsonObject>)[
      "/api/v1/namespaces/{namespace}/serviceaccounts/{name}"
    ]!;
    const patch = item.patch as JsonObject;
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({
      group: "",
      kind: "ServiceAccount",
      version: "v1",
    });
    expect(patch["x-kubernetes-action"]).toBe("patch");
    expect(patch.operationId).toBe("patchCoreV1NamespacedServiceAccount");
    expect((patch.parameters as JsonObject[]).map((p) => [p.name, p.in])).toEqual([
      ["dryRun", "query"],
      ["fieldManager", "query"],
      ["fieldValidation", "query"],
      ["force", "query"],
    ]);
    expect(Object.keys(((patch.requestBody as JsonObject).content as JsonObject) ?? {})).toEqual([
      "application/apply-patch+yaml",
      "application/json-patch+json",
      "application/merge-patch+json",
      "application/strategic-merge-patch+json",
    ]);
    expect((item.parameters as JsonObject[]).map((p) => p.name)).toEqual(["namespace", "name", "pretty"]);
  });

  it("serviceaccounts/token is a POST of authentication.k8s.io/v1 TokenRequest", () => {
    const post = (core.paths as Record<string, JsonObject>)[
      "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"
    ]!.post as JsonObject;
    expect(post["x-kubernetes-group-version-kind"]).toEqual({
      group: "authentication.k8s.io",
      kind: "TokenRequest",
      version: "v1",
    });
    expect(post.operationId).toBe("createCoreV1NamespacedServiceAccountToken");
    expect(((post.requestBody as JsonObject).content as JsonObject)["*/*"]).toEqual({
      schema: ref("io.k8s.api.authentication.v1.TokenRequest"),
    });
    expect(schemas["io.k8s.api.authentication.v1.TokenRequest"]?.required).toEqual(["spec"]);
  });

  it("a LocalSubjectAccessReview has its own definition with its own GVK", () => {
    const doc = JSON.parse(openApiV3Document("apis/authorization.k8s.io/v1")!.body) as JsonObject;
    const s = (doc.components as JsonObject).schemas as Record<string, JsonObject>;
    expect(
      s["io.k8s.api.authorization.v1.LocalSubjectAccessReview"]?.["x-kubernetes-group-version-kind"],
    ).toEqual([{ group: "authorization.k8s.io", kind: "LocalSubjectAccessReview", version: "v1" }]);
    expect(s["io.k8s.api.authorization.v1.SubjectAccessReview"]?.["x-kubernetes-group-version-kind"]).toEqual(
      [{ group: "authorization.k8s.io", kind: "SubjectAccessReview", version: "v1" }],
    );
    expect(Object.keys((doc.paths as JsonObject) ?? {})).toEqual([
      "/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews",
      "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    ]);
  });
});

describe("openApiV3Response (kube-openapi's caching)", () => {
  const doc = openApiV3Document("api/v1")!;
  it("current hash: cacheable for a year", () => {
    const r = openApiV3Response("api/v1", doc.etag, undefined, Date.UTC(2025, 0, 1));
    expect(r.status).toBe(200);
    expect(r.body).toBe(doc.body);
    expect(r.headers).toEqual({
      "Content-Type": "application/json",
      Etag: `"${doc.etag}"`,
      "Cache-Control": "public, immutable",
      Expires: "Thu, 01 Jan 2026 00:00:00 GMT",
    });
  });
  it("stale hash: 301 to the current one; If-None-Match: 304; unknown: 404", () => {
    expect(openApiV3Response("api/v1", "OLD", undefined, 0)).toEqual({
      status: 301,
      headers: { Location: `/openapi/v3/api/v1?hash=${doc.etag}` },
    });
    expect(openApiV3Response("api/v1", undefined, `"${doc.etag}"`, 0).status).toBe(304);
    expect(openApiV3Response("api/v1", undefined, undefined, 0).headers["Cache-Control"]).toBe(
      "no-cache, private",
    );
    expect(openApiV3Response("apis/apps/v1", undefined, undefined, 0).status).toBe(404);
  });
});

describe("OpenAPI v2", () => {
  const v2 = buildOpenApiV2Document();
  const defs = v2.definitions as Record<string, JsonObject>;

  it("one Swagger 2.0 document with every group's definitions, $ref beside descriptions", () => {
    expect(v2.swagger).toBe("2.0");
    expect(defs["io.k8s.api.core.v1.ServiceAccount"]?.properties).toMatchObject({
      metadata: { $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
    });
    expect(defs["io.k8s.api.authentication.v1.TokenReview"]?.["x-kubernetes-group-version-kind"]).toEqual([
      { group: "authentication.k8s.io", kind: "TokenReview", version: "v1" },
    ]);
    expect(defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]).toMatchObject({ type: "string" });
    expect(defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({
      type: "string",
      format: "int-or-string",
    });
    const patch = (v2.paths as Record<string, JsonObject>)[
      "/api/v1/namespaces/{namespace}/serviceaccounts/{name}"
    ]!.patch as JsonObject;
    expect(patch.consumes).toEqual([
      "application/apply-patch+yaml",
      "application/json-patch+json",
      "application/merge-patch+json",
      "application/strategic-merge-patch+json",
    ]);
    expect((patch.parameters as JsonObject[]).map((p) => p.name)).toEqual([
      "body",
      "dryRun",
      "fieldManager",
      "fieldValidation",
      "force",
    ]);
  });

  it("protobuf form: gnostic Document with swagger, info and every definition", () => {
    const pb = openApiV2Document().protobuf;
    // Field 1 (swagger) "2.0", then field 2 (info).
    expect([...pb.subarray(0, 5)]).toEqual([10, 3, 50, 46, 48]);
    const text = new TextDecoder().decode(pb);
    for (const name of Object.keys(defs)) expect(text).toContain(name);
    expect(text).toContain("- group: authentication.k8s.io\n  kind: TokenReview\n  version: v1\n");
  });

  it("negotiates protobuf for kubectl's Accept, JSON otherwise", () => {
    expect(negotiateOpenApiV2("application/com.github.proto-openapi.spec.v2@v1.0+protobuf")).toEqual({
      form: "protobuf",
      contentType: "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
    });
    expect(negotiateOpenApiV2("application/json")).toEqual({ form: "json", contentType: "application/json" });
    expect(negotiateOpenApiV2(undefined)).toEqual({ form: "json", contentType: "application/json" });
    expect(negotiateOpenApiV2("text/html")).toBeUndefined();
  });
});
