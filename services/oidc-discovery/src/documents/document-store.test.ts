import { generateSigningKey, verificationKeyFrom } from "@tokenplane/crypto";
import { describe, expect, it } from "vitest";
import { ecReferenceKey, rsaReferenceKey } from "../testdata/reference-vectors.js";
import { testLogger } from "../testdata/test-logger.js";
import { DocumentStore } from "./document-store.js";

const settings = { issuer: "https://issuer.example.com", jwksUri: "", externalAddress: "127.0.0.1:8443" };
const rsa = verificationKeyFrom(rsaReferenceKey());
const ec = verificationKeyFrom(ecReferenceKey());

describe("DocumentStore", () => {
  it("has nothing before the first key set", () => {
    const store = new DocumentStore(settings);
    expect(store.current()).toBeUndefined();
    expect(store.hasDocuments()).toBe(false);
  });

  it("reports changed, unchanged and refused updates, and keeps the last good documents", () => {
    const { log, lines } = testLogger();
    const store = new DocumentStore(settings, log);
    const seen: string[][] = [];
    store.onChange((docs) => seen.push([...docs.kids]));

    expect(store.update([rsa])).toBe("changed");
    const first = store.current();
    expect(store.update([rsa])).toBe("unchanged");
    expect(store.current()).toBe(first);
    expect(store.update([rsa, ec], { source: "test" })).toBe("changed");
    expect(store.current()?.kids).toEqual([rsa.kid, ec.kid]);
    expect(store.update([])).toBe("refused");
    expect(store.current()?.kids).toEqual([rsa.kid, ec.kid]);
    expect(store.update([ec])).toBe("changed");

    expect(seen).toEqual([[rsa.kid], [rsa.kid, ec.kid], [ec.kid]]);
    const messages = lines.map((l) => l.msg);
    expect(messages).toEqual([
      "publishing the service-account keys",
      "service-account keys changed",
      "cannot publish the key set; keeping the documents served so far",
      "service-account keys changed",
    ]);
    expect(lines[1]).toMatchObject({ kids: [rsa.kid, ec.kid], previousKids: [rsa.kid], source: "test" });
    expect(lines[2]).toMatchObject({ err: { message: "no keys provided for validating keyset" } });
  });

  it("changes the entity tags exactly when the keys change", () => {
    const store = new DocumentStore(settings);
    store.update([rsa]);
    const before = store.current()?.jwks.etag;
    store.update([rsa, verificationKeyFrom(generateSigningKey("ES256").privateKey)]);
    expect(store.current()?.jwks.etag).not.toBe(before);
  });
});
