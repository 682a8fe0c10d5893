import { create } from "@bufbuild/protobuf";
import { authnv1 } from "@tokenplane/proto";
import { beforeEach, describe, expect, it } from "vitest";
import { type AuthnEnv, authnEnv, decodePayload, rsaKey } from "../authn/test-env.js";
import { createTokenRequestHandler, maxTokenExpirationWarnings } from "./token-request.js";

// Reference §2.4 and §11.1-3: the maximum clamp and the 3607 s extension, with
// token_test.go TestCreate_Token_WithExpiryCap's table exactly.

const HOUR = 3600;
const YEAR = 365 * 24 * HOUR;

let env: AuthnEnv;

beforeEach(async () => {
  env = await authnEnv();
  await env.createServiceAccount("myns", "test-svcacct");
  await env.createPod("myns", "test-pod", "test-svcacct");
  await env.createSecret("myns", "test-secret");
});

interface Row {
  name: string;
  extend: boolean;
  maxExpiration: number;
  maxExtended: number;
  /** Requested spec.expirationSeconds; default 3607. */
  requested?: number;
  audiences?: string[];
  bound?: "Pod" | "Secret";
  /** JWT exp − now. */
  exp: number;
  /** warnafter − now, or null when absent. */
  warnafter: number | null;
  /** Response spec.expirationSeconds and status.expirationTimestamp − now. */
  expirationSeconds: number;
  warnings: string[];
}

const table: Row[] = [
  // TestCreate_Token_WithExpiryCap (pod-bound, 3607 s, audiences ⊆ API audiences)
  {
    name: "extend off, max 5h",
    extend: false,
    maxExpiration: 5 * HOUR,
    maxExtended: YEAR,
    exp: 3607,
    warnafter: null,
    expirationSeconds: 3607,
    warnings: [],
  },
  {
    name: "extend on, max 2h, maxExtended 5h: the extended value is not clamped by the max",
    extend: true,
    maxExpiration: 2 * HOUR,
    maxExtended: 5 * HOUR,
    exp: 5 * HOUR,
    warnafter: 3607,
    expirationSeconds: 3607,
    warnings: [],
  },
  {
    name: "extend on, max 2y, maxExtended 1y",
    extend: true,
    maxExpiration: 2 * YEAR,
    maxExtended: YEAR,
    exp: YEAR,
    warnafter: 3607,
    expirationSeconds: 3607,
    warnings: [],
  },
  {
    name: "extend on, max 5h, maxExtended 1y",
    extend: true,
    maxExpiration: 5 * HOUR,
    maxExtended: YEAR,
    exp: YEAR,
    warnafter: 3607,
    expirationSeconds: 3607,
    warnings: [],
  },
  {
    name: "extend off, max 5h (again)",
    extend: false,
    maxExpiration: 5 * HOUR,
    maxExtended: YEAR,
    exp: 3607,
    warnafter: null,
    expirationSeconds: 3607,
    warnings: [],
  },
  {
    name: "extend off, max 30m: clamped",
    extend: false,
    maxExpiration: 1800,
    maxExtended: YEAR,
    exp: 1800,
    warnafter: null,
    expirationSeconds: 1800,
    warnings: ["requested expiration of 3607 seconds shortened to 1800 seconds"],
  },
  // Corollaries
  {
    name: "extend on, max 30m: clamped to 1800 first, so no extension (§11.2)",
    extend: true,
    maxExpiration: 1800,
    maxExtended: YEAR,
    exp: 1800,
    warnafter: null,
    expirationSeconds: 1800,
    warnings: ["requested expiration of 3607 seconds shortened to 1800 seconds"],
  },
  {
    name: "another audience besides the API's: no extension (§11.3)",
    extend: true,
    maxExpiration: 0,
    maxExtended: YEAR,
    audiences: ["not-the-api", "api"],
    exp: 3607,
    warnafter: null,
    expirationSeconds: 3607,
    warnings: [],
  },
  {
    name: "not pod-bound: no extension",
    extend: true,
    maxExpiration: 0,
    maxExtended: YEAR,
    bound: "Secret",
    exp: 3607,
    warnafter: null,
    expirationSeconds: 3607,
    warnings: [],
  },
  {
    name: "3600 s (the default) is not 3607: no extension",
    extend: true,
    maxExpiration: 0,
    maxExtended: YEAR,
    requested: 3600,
    expirationSeconds: 3600,
    exp: 3600,
    warnafter: null,
    warnings: [],
  },
  {
    name: "3608 s is not 3607 either: no extension",
    extend: true,
    maxExpiration: 0,
    maxExtended: YEAR,
    requested: 3608,
    expirationSeconds: 3608,
    exp: 3608,
    warnafter: null,
    warnings: [],
  },
  {
    name: "no maximum: nothing clamped",
    extend: false,
    maxExpiration: 0,
    maxExtended: YEAR,
    requested: 2 ** 32,
    expirationSeconds: 2 ** 32,
    exp: 2 ** 32,
    warnafter: null,
    warnings: [],
  },
];

describe("§2.4 expiration and extension", () => {
  it.each(table)("$name", async (row) => {
    const handler = createTokenRequestHandler({
      registry: env.registry,
      signingKey: rsaKey,
      issuer: "https://foo.bar.example.com",
      apiAudiences: ["api"],
      maxExpirationSeconds: row.maxExpiration,
      extendExpiration: row.extend,
      maxExtendedExpirationSeconds: row.maxExtended,
      clock: env.clock,
    });
    const ctx = env.ctx();
    const requested = row.requested ?? 3607;
    const ref =
      row.bound === "Secret"
        ? { kind: "Secret", apiVersion: "v1", name: "test-secret" }
        : { kind: "Pod", apiVersion: "v1", name: "test-pod" };
    const out = await handler.createToken(
      ctx,
      "myns",
      "test-svcacct",
      create(authnv1.TokenRequestSchema, {
        spec: {
          audiences: row.audiences ?? ["api"],
          expirationSeconds: BigInt(requested),
          boundObjectRef: ref,
        },
      }),
    );
    const now = env.nowSeconds();
    const { json } = decodePayload(out.status?.token ?? "");
    const k = json["kubernetes.io"] as { warnafter?: number };
    expect({
      exp: (json.exp as number) - now,
      warnafter: k.warnafter === undefined ? null : k.warnafter - now,
      spec: Number(out.spec?.expirationSeconds),
      status: Number(out.status?.expirationTimestamp?.seconds) - now,
      warnings: ctx.warnings,
    }).toStrictEqual({
      exp: row.exp,
      warnafter: row.warnafter,
      spec: row.expirationSeconds,
      status: row.expirationSeconds,
      warnings: row.warnings,
    });
  });
});

describe("start-up warnings about --service-account-max-token-expiration (kube-apiserver options completion)", () => {
  const transition = (current: string) =>
    `service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, service-account-max-token-expiration must be set longer than 3607 seconds (currently ${current})`;
  const longer = (current: string) =>
    `service-account-extend-token-expiration is true, enabling tokens valid up to 31536000 seconds, which is longer than service-account-max-token-expiration set to ${current} seconds`;
  it.each([
    { name: "unset", maxMs: 0, extend: true, warnings: [] },
    {
      name: "1h: below 3607 s and a year",
      maxMs: HOUR * 1000,
      extend: true,
      warnings: [transition("1h0m0s"), longer("1h0m0s")],
    },
    { name: "2h: below a year", maxMs: 2 * HOUR * 1000, extend: true, warnings: [longer("2h0m0s")] },
    { name: "a year: nothing", maxMs: YEAR * 1000, extend: true, warnings: [] },
    { name: "1h without the extension: nothing", maxMs: HOUR * 1000, extend: false, warnings: [] },
  ])("$name", ({ maxMs, extend, warnings }) => {
    expect(maxTokenExpirationWarnings(maxMs, extend)).toEqual(warnings);
  });
});
