import { describe, expect, it } from "vitest";
import { inputFormat, mediaTypeOf, negotiateOutput } from "./negotiate.js";

const kubectlGet =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

describe("negotiateOutput", () => {
  it.each([
    [undefined, true, "json", "application/json"],
    ["", true, "json", "application/json"],
    ["*/*", true, "json", "application/json"],
    ["application/json", true, "json", "application/json"],
    ["application/yaml", true, "yaml", "application/yaml"],
    ["application/vnd.kubernetes.protobuf,application/json", true, "json", "application/json"],
    ["application/vnd.kubernetes.protobuf", true, "json", "application/json"],
    [kubectlGet, true, "table", "application/json;as=Table;v=v1;g=meta.k8s.io"],
    [kubectlGet, false, "json", "application/json"],
    [
      "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
      true,
      "table",
      "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
    ],
    // PartialObjectMetadata is not offered: the next range wins
    [
      "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json",
      true,
      "json",
      "application/json",
    ],
    // q values order the ranges
    ["application/json;q=0.5,application/yaml", true, "yaml", "application/yaml"],
  ] as const)("%s (table allowed: %s) → %s", (accept, allowTable, kind, contentType) => {
    expect(negotiateOutput(accept, allowTable)).toMatchObject({ kind, contentType });
  });

  it.each([["text/html"], ["application/json;as=Table;v=v1;g=meta.k8s.io"], ["application/json;q=0"]])(
    "%s can not be produced",
    (accept) => {
      expect(negotiateOutput(accept, false)).toBeUndefined();
    },
  );

  it("names the Table's group version", () => {
    expect(negotiateOutput(kubectlGet, true)).toEqual({
      kind: "table",
      contentType: "application/json;as=Table;v=v1;g=meta.k8s.io",
      groupVersion: "meta.k8s.io/v1",
    });
  });
});

describe("inputFormat", () => {
  it.each([
    [undefined, "json"],
    ["", "json"],
    ["application/json", "json"],
    ["application/json; charset=utf-8", "json"],
    ["Application/JSON", "json"],
    ["application/yaml", "yaml"],
    ["application/vnd.kubernetes.protobuf", "protobuf"],
    ["text/plain", undefined],
    ["application/merge-patch+json", undefined],
  ])("%s → %s", (contentType, expected) => {
    expect(inputFormat(contentType)).toBe(expected);
  });

  it("strips parameters from a media type", () => {
    expect(mediaTypeOf("application/strategic-merge-patch+json; charset=UTF-8")).toBe(
      "application/strategic-merge-patch+json",
    );
  });
});
