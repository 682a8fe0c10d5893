import { describe, expect, it } from "vitest";
import { sortedJson } from "./canonical-json.js";
import { LEGACY_ISSUER, legacyClaims } from "./legacy-claims.js";

describe("legacyClaims", () => {
  it("has sub, iss and the four private claims, nothing time-based (reference §1.2)", () => {
    const claims = legacyClaims(
      { namespace: "test", name: "my-sa", uid: "sa-uid" },
      { name: "my-sa-token-abcde" },
    );
    expect(LEGACY_ISSUER).toBe("kubernetes/serviceaccount");
    expect(sortedJson(claims)).toBe(
      '{"iss":"kubernetes/serviceaccount",' +
        '"kubernetes.io/serviceaccount/namespace":"test",' +
        '"kubernetes.io/serviceaccount/secret.name":"my-sa-token-abcde",' +
        '"kubernetes.io/serviceaccount/service-account.name":"my-sa",' +
        '"kubernetes.io/serviceaccount/service-account.uid":"sa-uid",' +
        '"sub":"system:serviceaccount:test:my-sa"}',
    );
  });

  it("keeps empty private claims (no omitempty)", () => {
    const claims = legacyClaims({ namespace: "ns", name: "sa", uid: "" }, { name: "" });
    expect(claims["kubernetes.io/serviceaccount/service-account.uid"]).toBe("");
    expect(claims["kubernetes.io/serviceaccount/secret.name"]).toBe("");
  });
});
