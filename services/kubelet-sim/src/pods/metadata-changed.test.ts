import { create } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { metadataChanged } from "./metadata-changed.js";

const pod = (labels: Record<string, string>, annotations: Record<string, string> = {}) =>
  create(corev1.PodSchema, { metadata: { name: "p", namespace: "ns", labels, annotations } });

describe("metadataChanged", () => {
  it("is false for the same labels and annotations in another order", () => {
    expect(metadataChanged(pod({ a: "1", b: "2" }, { x: "y" }), pod({ b: "2", a: "1" }, { x: "y" }))).toBe(
      false,
    );
  });

  it("is true when a label is added, removed or changed", () => {
    expect(metadataChanged(pod({ a: "1" }), pod({ a: "1", b: "2" }))).toBe(true);
    expect(metadataChanged(pod({ a: "1", b: "2" }), pod({ a: "1" }))).toBe(true);
    expect(metadataChanged(pod({ a: "1" }), pod({ a: "2" }))).toBe(true);
  });

  it("is true when an annotation changes, even with the same labels", () => {
    expect(metadataChanged(pod({ a: "1" }, { x: "1" }), pod({ a: "1" }, { x: "2" }))).toBe(true);
  });

  it("treats missing metadata as empty", () => {
    expect(metadataChanged(create(corev1.PodSchema, {}), pod({}))).toBe(false);
  });
});
