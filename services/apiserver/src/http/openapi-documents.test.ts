import { createLogger } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import { openApiV3Document, openApiV3Index } from "./openapi/index.js";
import { prepareOpenApi } from "./openapi-documents.js";

describe("prepareOpenApi", () => {
  it("builds the documents kubectl needs, subresource-only kinds included", () => {
    expect(prepareOpenApi(createLogger({ service: "test", level: "silent", pretty: false }))).toBe(true);
    expect(JSON.parse(openApiV3Index().body).paths["api/v1"]).toBeDefined();
    const core = JSON.parse(openApiV3Document("api/v1")!.body) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(core.paths["/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"]).toBeDefined();
    expect(core.paths["/api/v1/namespaces/{namespace}/pods/{name}/binding"]).toBeDefined();
    expect(core.components.schemas["io.k8s.api.core.v1.Binding"]).toBeDefined();
  });
});
