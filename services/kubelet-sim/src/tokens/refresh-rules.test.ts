import { describe, expect, it } from "vitest";
import {
  cacheKey,
  drawJitterSeconds,
  expired,
  MAX_TTL_MS,
  refreshDueAt,
  requiresRefresh,
  type TokenRequestLike,
} from "./refresh-rules.js";

const T0 = Date.UTC(2024, 0, 1); // issue time of every token below
const s = (seconds: number) => seconds * 1000;

/** A token issued at T0 that lives `seconds` (status.expirationTimestamp = T0 + seconds). */
function issued(seconds: number | undefined, lifetime = seconds ?? 3600): TokenRequestLike {
  return {
    spec: seconds === undefined ? {} : { expirationSeconds: seconds },
    status: { token: "t", expirationTimestamp: T0 + s(lifetime) },
  };
}

describe("requiresRefresh (reference §5)", () => {
  // [what, expirationSeconds, jitter, seconds after issue, expected]
  const table: Array<[string, number | undefined, number, number, boolean]> = [
    ["3607 s token, no jitter: not at 2886 s (strictly after)", 3607, 0, 2886, false],
    ["3607 s token, no jitter: refresh just after 2886 s", 3607, 0, 2886.001, true],
    ["3607 s token, jitter 9: refresh after 2877 s", 3607, 9, 2877.001, true],
    ["3607 s token, jitter 9: not at 2877 s", 3607, 9, 2877, false],
    ["600 s token: 80 % is 480 s", 600, 0, 480.5, true],
    ["600 s token: not at 479 s", 600, 0, 479, false],
    ["20 s token: refresh after 16 s", 20, 0, 16.001, true],
    ["20 s token, jitter 9: refresh after 7 s", 20, 9, 7.001, true],
    ["20 s token, jitter 9: not at 6 s", 20, 9, 6, false],
    ["odd lifetime truncates 20 %: 3601 s → 720 s before exp", 3601, 0, 2881.001, true],
    ["odd lifetime truncates 20 %: not at 2881 s", 3601, 0, 2881, false],
    ["48 h token: 24 h cap wins", 172_800, 0, 86_400.001, true],
    ["48 h token: not before 24 h", 172_800, 0, 86_399, false],
    ["48 h token, jitter 5: 24 h minus 5 s", 172_800, 5, 86_395.001, true],
    ["1 year token: 24 h cap", 31_536_000, 0, 86_400.001, true],
    ["nil expirationSeconds: never", undefined, 0, 10 * 86_400, false],
  ];
  it.each(table)("%s", (_what, seconds, jitter, after, expected) => {
    expect(requiresRefresh(issued(seconds), T0 + after * 1000, jitter)).toBe(expected);
  });

  it("puts the 3607 s projected token's refresh at 2886 s minus the jitter", () => {
    expect(refreshDueAt(issued(3607), 0)! - T0).toBe(s(2886));
    expect(refreshDueAt(issued(3607), 9)! - T0).toBe(s(2877));
  });

  it("reasons with status.expirationTimestamp, not the JWT: iat = exp − expirationSeconds", () => {
    // A token stored 100 s after issue still refreshes relative to its own expiry.
    const tr: TokenRequestLike = {
      spec: { expirationSeconds: 1000 },
      status: { token: "t", expirationTimestamp: T0 + s(1100) },
    };
    expect(refreshDueAt(tr, 0)! - T0).toBe(s(900));
  });

  it("caps at 24 h after iat", () => {
    expect(refreshDueAt(issued(2 * 86_400), 0)! - T0).toBe(MAX_TTL_MS);
  });

  it("has no due time without expirationSeconds", () => {
    expect(refreshDueAt(issued(undefined), 0)).toBeUndefined();
  });
});

describe("expired", () => {
  it.each([
    [0, false],
    [3600, false],
    [3600.001, true],
  ])("at %s s after issue of a 3600 s token → %s", (after, expected) => {
    expect(expired(issued(3600), T0 + after * 1000)).toBe(expected);
  });
});

describe("drawJitterSeconds", () => {
  it.each([
    [0, 0],
    [0.09, 0],
    [0.1, 1],
    [0.5, 5],
    [0.999, 9],
  ])("random %s → %s s", (r, expected) => {
    expect(drawJitterSeconds(() => r)).toBe(expected);
  });
});

describe("cacheKey (keyFunc's Go format)", () => {
  const ref = { kind: "Pod", apiVersion: "v1", name: "p", uid: "u-1" };
  it.each([
    [
      "projected token without audience",
      { expirationSeconds: 3607, boundObjectRef: ref },
      '"default"/"ns"/[]string(nil)/3607/v1.BoundObjectReference{Kind:"Pod", APIVersion:"v1", Name:"p", UID:"u-1"}',
    ],
    [
      "audiences and no expiration",
      { audiences: ["vault", "api"], boundObjectRef: ref },
      '"default"/"ns"/[]string{"vault", "api"}/0/v1.BoundObjectReference{Kind:"Pod", APIVersion:"v1", Name:"p", UID:"u-1"}',
    ],
    [
      "empty (non-nil) audiences differ from nil",
      { audiences: [], expirationSeconds: 600 },
      '"default"/"ns"/[]string{}/600/v1.BoundObjectReference{Kind:"", APIVersion:"", Name:"", UID:""}',
    ],
  ])("%s", (_what, spec, expected) => {
    expect(cacheKey("default", "ns", spec)).toBe(expected);
  });

  it("quotes names as Go's %q does", () => {
    expect(cacheKey('a"b', "n\\s", {})).toBe(
      '"a\\"b"/"n\\\\s"/[]string(nil)/0/v1.BoundObjectReference{Kind:"", APIVersion:"", Name:"", UID:""}',
    );
  });
});
