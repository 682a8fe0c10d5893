import { create } from "@bufbuild/protobuf";
import { generateSigningKey, type VerificationKey, verificationKeyFrom } from "@tokenplane/crypto";
import { tokenplanev1 } from "@tokenplane/proto";
import { FakeClock } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import { OidcDiscoveryError } from "../errors.js";
import { EC_KID, ecReferenceKey, RSA_KID, rsaReferenceKey } from "../testdata/reference-vectors.js";
import { testLogger } from "../testdata/test-logger.js";
import { keysFromKeySet, startApiserverKeySync } from "./apiserver-key-sync.js";

function keySet(
  keys: readonly VerificationKey[],
  generation = 1n,
  overrides: Partial<{ kid: string; alg: string }>[] = [],
) {
  return create(tokenplanev1.KeySetSchema, {
    issuers: ["https://issuer.example.com"],
    keys: keys.map((k, i) => ({ kid: k.kid, alg: k.alg, spkiDer: k.spkiDer, ...overrides[i] })),
    jwksUri: "",
    generation,
  });
}

const rsa = verificationKeyFrom(rsaReferenceKey());
const ec = verificationKeyFrom(ecReferenceKey());
const tick = () => new Promise((r) => setImmediate(r));

describe("keysFromKeySet", () => {
  it("rebuilds the keys from their SubjectPublicKeyInfo, in order", () => {
    const keys = keysFromKeySet(keySet([rsa, ec]));
    expect(keys.map((k) => [k.kid, k.alg])).toEqual([
      [RSA_KID, "RS256"],
      [EC_KID, "ES256"],
    ]);
    expect(keys[0]?.publicKey.equals(rsa.publicKey)).toBe(true);
  });

  it.each<[string, ReturnType<typeof keySet>, string]>([
    [
      "a kid that is not the key's",
      keySet([rsa], 1n, [{ kid: "wrong" }]),
      `key 0 is sent as kid "wrong" alg "RS256" but its public key gives kid "${RSA_KID}" alg "RS256"`,
    ],
    [
      "an alg that is not the key's",
      keySet([rsa, ec], 1n, [{}, { alg: "ES384" }]),
      `key 1 is sent as kid "${EC_KID}" alg "ES384" but its public key gives kid "${EC_KID}" alg "ES256"`,
    ],
  ])("refuses %s", (_name, set, message) => {
    expect(() => keysFromKeySet(set)).toThrow(new OidcDiscoveryError("ERR_KEY_SET", message));
  });

  it("refuses bytes that are not a public key", () => {
    const set = create(tokenplanev1.KeySetSchema, {
      keys: [{ kid: "k", alg: "RS256", spkiDer: new Uint8Array([1, 2, 3]) }],
    });
    expect(() => keysFromKeySet(set)).toThrow(/^key 0 \(kid "k"\) is not usable: /);
  });
});

describe("startApiserverKeySync", () => {
  function harness(results: (() => tokenplanev1.KeySet)[]) {
    const clock = new FakeClock();
    const { log, lines } = testLogger();
    const got: string[][] = [];
    let calls = 0;
    const sync = startApiserverKeySync({
      fetch: async () => {
        const next = results[Math.min(calls, results.length - 1)];
        calls++;
        if (next === undefined) throw new Error("no result");
        return next();
      },
      onKeys: (keys) => got.push(keys.map((k) => k.kid)),
      resyncMs: 60_000,
      retryBaseMs: 250,
      retryMaxMs: 1_000,
      clock,
      log,
    });
    return { clock, sync, got, lines, calls: () => calls };
  }
  const unavailable = () => {
    throw new Error("14 UNAVAILABLE: connection refused");
  };

  it("fetches at start, then every resync interval", async () => {
    const h = harness([() => keySet([rsa])]);
    await tick();
    expect(h.got).toEqual([[RSA_KID]]);
    await h.clock.advance(59_999);
    expect(h.calls()).toBe(1);
    await h.clock.advance(1);
    expect(h.calls()).toBe(2);
    expect(h.sync.fetches()).toBe(2);
    await h.sync.stop();
  });

  it("retries a failed start with back-off until the apiserver answers", async () => {
    const h = harness([unavailable, unavailable, unavailable, unavailable, () => keySet([ec])]);
    await tick();
    expect(h.calls()).toBe(1);
    await h.clock.advance(250);
    expect(h.calls()).toBe(2);
    await h.clock.advance(500);
    expect(h.calls()).toBe(3);
    await h.clock.advance(1_000);
    expect(h.calls()).toBe(4);
    await h.clock.advance(1_000);
    expect(h.calls()).toBe(5);
    expect(h.got).toEqual([[EC_KID]]);
    expect(
      h.lines.filter((l) => l.msg === "cannot fetch the key set from the apiserver; retrying"),
    ).toHaveLength(4);
    await h.sync.stop();
  });

  it("a trigger fetches at once; triggers during a wait coalesce", async () => {
    let current = keySet([rsa]);
    const h = harness([() => current]);
    await tick();
    current = keySet([rsa, ec], 2n);
    h.sync.trigger("event");
    h.sync.trigger("event");
    await tick();
    await tick();
    expect(h.calls()).toBe(2);
    expect(h.got).toEqual([[RSA_KID], [RSA_KID, EC_KID]]);
    // The resync timer starts again after the triggered fetch.
    await h.clock.advance(60_000);
    expect(h.calls()).toBe(3);
    await h.sync.stop();
  });

  it("a trigger during a fetch causes one more fetch after it", async () => {
    const clock = new FakeClock();
    const { log } = testLogger();
    let release: (() => void) | undefined;
    let calls = 0;
    const sync = startApiserverKeySync({
      fetch: async () => {
        calls++;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        return keySet([rsa]);
      },
      onKeys: () => {},
      resyncMs: 60_000,
      clock,
      log,
    });
    await tick();
    sync.trigger("event during fetch");
    release?.();
    await tick();
    await tick();
    expect(calls).toBe(2);
    await sync.stop();
  });

  it("keeps going after an unusable key set (logged, no tight retry)", async () => {
    const h = harness([() => keySet([rsa], 1n, [{ kid: "bad" }]), () => keySet([rsa])]);
    await tick();
    expect(h.got).toEqual([]);
    expect(h.lines.some((l) => l.msg === "the apiserver's key set is not usable")).toBe(true);
    await h.clock.advance(59_000);
    expect(h.calls()).toBe(1);
    await h.clock.advance(1_000);
    expect(h.got).toEqual([[RSA_KID]]);
    await h.sync.stop();
  });

  it("stop() ends the loop and aborts a fetch in flight", async () => {
    const clock = new FakeClock();
    const { log } = testLogger();
    let aborted = false;
    const sync = startApiserverKeySync({
      fetch: (signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            aborted = true;
            reject(new Error("cancelled"));
          });
        }),
      onKeys: () => {},
      resyncMs: 60_000,
      clock,
      log,
    });
    await tick();
    await sync.stop();
    expect(aborted).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe("key sets of fresh keys", () => {
  it("round-trips every signing algorithm", () => {
    const keys = (["RS256", "ES256", "ES384", "ES512"] as const).map((alg) => generateSigningKey(alg));
    expect(keysFromKeySet(keySet(keys)).map((k) => k.alg)).toEqual(["RS256", "ES256", "ES384", "ES512"]);
  });
});
