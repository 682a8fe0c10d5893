import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { invalidText, objectFrom } from "../test-objects.js";
import { secretStrategy as s } from "./secret.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");
const secret = (json: Record<string, unknown>) => {
  const obj = objectFrom(corev1.SecretSchema, {
    metadata: { name: "s", namespace: "ns", resourceVersion: "1" },
    ...json,
  } as never);
  s.default(obj);
  return obj;
};
const keyMsg =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

describe("secretStrategy.validate", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["opaque", { data: { token: b64("x") } }, ""],
    [
      "service-account-token needs the account annotation",
      { type: "kubernetes.io/service-account-token" },
      `Secret "s" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value`,
    ],
    [
      "service-account-token with the annotation, no data yet",
      {
        type: "kubernetes.io/service-account-token",
        metadata: {
          name: "s",
          namespace: "ns",
          annotations: { "kubernetes.io/service-account.name": "default" },
        },
      },
      "",
    ],
    [
      "bad key",
      { data: { "a/b": b64("x") } },
      `Secret "s" is invalid: data[a/b]: Invalid value: "a/b": ${keyMsg}`,
    ],
    [
      "dot-dot key",
      { data: { "..x": b64("x") } },
      `Secret "s" is invalid: data[..x]: Invalid value: "..x": must not start with '..'`,
    ],
    [
      "over 1 MiB in total",
      { data: { a: Buffer.alloc(600_000).toString("base64"), b: Buffer.alloc(600_000).toString("base64") } },
      `Secret "s" is invalid: data: Too long: may not be more than 1048576 bytes`,
    ],
    ["exactly 1 MiB", { data: { a: Buffer.alloc(1048576).toString("base64") } }, ""],
    [
      "tls needs both keys",
      { type: "kubernetes.io/tls", data: { "tls.crt": b64("c") } },
      `Secret "s" is invalid: data[tls.key]: Required value`,
    ],
    [
      "dockerconfigjson must be JSON",
      { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": b64("{}") } },
      "",
    ],
    [
      "stringData keys are validated as data keys",
      { stringData: { "bad key": "v" } },
      `Secret "s" is invalid: data[bad key]: Invalid value: "bad key": ${keyMsg}`,
    ],
  ];
  it.each(cases)("%s", (_, json, want) => {
    expect(invalidText("Secret", "s", s.validate(secret(json)))).toBe(want);
  });
});

describe("secretStrategy.validateUpdate", () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
    ["data change", { data: { a: b64("1") } }, { data: { a: b64("2") } }, ""],
    [
      "type is immutable",
      { type: "example.com/one" },
      { type: "example.com/two" },
      `Secret "s" is invalid: type: Invalid value: "example.com/two": field is immutable`,
    ],
    [
      "immutable freezes data",
      { immutable: true, data: { a: b64("1") } },
      { immutable: true, data: { a: b64("2") } },
      'Secret "s" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    ],
    [
      "immutable cannot be unset",
      { immutable: true, data: { a: b64("1") } },
      { immutable: false, data: { a: b64("1") } },
      'Secret "s" is invalid: immutable: Forbidden: field is immutable when `immutable` is set',
    ],
    [
      "immutable, labels may change",
      { immutable: true },
      { immutable: true, metadata: { name: "s", namespace: "ns", resourceVersion: "1", labels: { a: "b" } } },
      "",
    ],
  ];
  it.each(cases)("%s", (_, oldJson, newJson, want) => {
    expect(invalidText("Secret", "s", s.validateUpdate(secret(newJson), secret(oldJson)))).toBe(want);
  });
});

describe("secretStrategy.default", () => {
  it("folds stringData into data, never keeps it, and defaults the type", () => {
    const obj = secret({ data: { a: b64("old"), b: b64("keep") }, stringData: { a: "new", c: "added" } });
    expect(
      Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, Buffer.from(v).toString()])),
    ).toEqual({
      a: "new",
      b: "keep",
      c: "added",
    });
    expect(obj.stringData).toEqual({});
    expect(obj.type).toBe("Opaque");
  });
});
