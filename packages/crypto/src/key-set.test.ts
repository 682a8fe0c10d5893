import { describe, expect, it } from "vitest";
import { KeySet } from "./key-set.js";
import { generateSigningKey, verificationKeyFrom } from "./keys.js";

describe("KeySet.lookup", () => {
  const a = generateSigningKey("ES256");
  const b = generateSigningKey("ES256");
  // The same key twice (e.g. listed in two key files) is kept twice, as Kubernetes does.
  const set = new KeySet([a, b, verificationKeyFrom(a.privateKey)]);

  it.each([
    ["undefined kid → all keys", undefined, [a.kid, b.kid, a.kid]],
    ["empty kid → all keys", "", [a.kid, b.kid, a.kid]],
    ["matching kid → only those keys", b.kid, [b.kid]],
    ["duplicate kid → every copy", a.kid, [a.kid, a.kid]],
    ["unknown kid → none", "no-such-kid", []],
  ])("%s", (_name, kid, want) => {
    expect(set.lookup(kid).map((k) => k.kid)).toEqual(want);
  });

  it("keeps the given order and size", () => {
    expect(set.size).toBe(3);
    expect(set.keys[1]).toBe(b);
  });
});
