import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { invalidText, objectFrom } from "../test-objects.js";
import { configMapStrategy as s } from "./config-map.js";

const cm = (json: Record<string, unknown>) =>
  objectFrom(corev1.ConfigMapSchema, {
    metadata: { name: "c", namespace: "ns", resourceVersion: "1" },
    ...json,
  } as never);

describe("configMapStrategy.validate", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["valid", { data: { "ca.crt": "x" }, binaryData: { bin: "AAE=" } }, ""],
    [
      "key in both maps",
      { data: { k: "x" }, binaryData: { k: "AAE=" } },
      `ConfigMap "c" is invalid: data[k]: Invalid value: "k": duplicate of key present in binaryData`,
    ],
    [
      "bad binary key",
      { binaryData: { ".": "AAE=" } },
      `ConfigMap "c" is invalid: binaryData[.]: Invalid value: ".": must not be '.'`,
    ],
    [
      "over 1 MiB",
      { data: { a: "x".repeat(1048577) } },
      `ConfigMap "c" is invalid: Too long: may not be more than 1048576 bytes`,
    ],
    [
      "bad name",
      { metadata: { name: "C", namespace: "ns" } },
      `ConfigMap "C" is invalid: metadata.name: Invalid value: "C": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
  ];
  it.each(cases)("%s", (_, json, want) => {
    const obj = cm(json);
    expect(invalidText("ConfigMap", obj.metadata!.name, s.validate(obj))).toBe(want);
  });
});

describe("configMapStrategy.validateUpdate", () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
    ["mutable", { data: { a: "1" } }, { data: { a: "2" } }, ""],
    [
      "immutable data",
      { immutable: true, data: { a: "1" } },
      { immutable: true, data: { a: "2" } },
      'ConfigMap "c" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    ],
    [
      "immutable binaryData",
      { immutable: true, binaryData: { a: "AAE=" } },
      { immutable: true, binaryData: { a: "AAI=" } },
      'ConfigMap "c" is invalid: binaryData: Forbidden: field is immutable when `immutable` is set',
    ],
    [
      "immutable flag stays",
      { immutable: true },
      {},
      'ConfigMap "c" is invalid: immutable: Forbidden: field is immutable when `immutable` is set',
    ],
  ];
  it.each(cases)("%s", (_, oldJson, newJson, want) => {
    expect(invalidText("ConfigMap", "c", s.validateUpdate(cm(newJson), cm(oldJson)))).toBe(want);
  });
});
