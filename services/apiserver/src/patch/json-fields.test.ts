import { authnv1, corev1, intstr, metav1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { isInlineField, jsonFieldsOf, specialJsonForm } from "./json-fields.js";

describe("jsonFieldsOf / isInlineField (read off the k8s-json codec)", () => {
  it("flattens the inline members the codec writes into the parent", () => {
    const volume = [...jsonFieldsOf(corev1.VolumeSchema).keys()];
    expect(volume).toEqual([
      "name",
      "hostPath",
      "emptyDir",
      "secret",
      "downwardAPI",
      "configMap",
      "projected",
    ]);
    expect([...jsonFieldsOf(corev1.SecretKeySelectorSchema).keys()]).toEqual(["name", "key", "optional"]);
    expect(jsonFieldsOf(corev1.EphemeralContainerSchema).get("env")?.field.parent.typeName).toBe(
      "k8s.io.api.core.v1.EphemeralContainerCommon",
    );
  });

  it("tells inline members from ordinary message fields", () => {
    expect(isInlineField(corev1.VolumeSchema.field.volumeSource)).toBe(true);
    expect(isInlineField(corev1.ConfigMapVolumeSourceSchema.field.localObjectReference)).toBe(true);
    expect(isInlineField(corev1.EphemeralContainerSchema.field.ephemeralContainerCommon)).toBe(true);
    expect(isInlineField(corev1.ProbeSchema.field.handler)).toBe(true);
    expect(isInlineField(corev1.HTTPGetActionSchema.field.port)).toBe(false);
    expect(isInlineField(corev1.PodSchema.field.spec)).toBe(false);
    expect(isInlineField(corev1.PodSpecSchema.field.imagePullSecrets)).toBe(false);
    expect(isInlineField(metav1.ObjectMetaSchema.field.creationTimestamp)).toBe(false);
  });

  it("knows the messages with a special JSON form", () => {
    expect(specialJsonForm(metav1.TimeSchema)).toBe("time");
    expect(specialJsonForm(authnv1.ExtraValueSchema)).toBe("string-array");
    expect(specialJsonForm(intstr.IntOrStringSchema)).toBe("int-or-string");
    expect(specialJsonForm(corev1.PodSchema)).toBeUndefined();
  });
});
