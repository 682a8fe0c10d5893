import { createPublicKey } from "node:crypto";
import {
  generateSigningKey,
  JWKS_PATH,
  parsePublicKeysPem,
  privateKeyPem,
  verificationKeyFrom,
} from "@tokenplane/crypto";
import { describe, expect, it } from "vitest";
import {
  EC_KID,
  ecReferenceKey,
  REFERENCE_DISCOVERY,
  REFERENCE_ISSUER,
  REFERENCE_JWKS,
  RSA_KID,
  referenceKeysPem,
  rsaReferenceKey,
} from "../testdata/reference-vectors.js";
import { entityTag, renderDiscoveryDocuments } from "./discovery-documents.js";

const settings = { issuer: REFERENCE_ISSUER, jwksUri: REFERENCE_ISSUER + JWKS_PATH, externalAddress: "" };

describe("renderDiscoveryDocuments: reference §6.2 byte for byte", () => {
  it("reproduces openidmetadata_test.go's documents for the reference keys", () => {
    const keys = [verificationKeyFrom(rsaReferenceKey()), verificationKeyFrom(ecReferenceKey())];
    const docs = renderDiscoveryDocuments(settings, keys);
    expect(docs.configuration.body.toString("utf8")).toBe(REFERENCE_DISCOVERY);
    expect(docs.jwks.body.toString("utf8")).toBe(REFERENCE_JWKS);
    expect(docs.kids).toEqual([RSA_KID, EC_KID]);
    expect(docs.jwksUri).toBe("https://issuer.example.com/openid/v1/jwks");
  });

  it("gives the same documents from a key file's PEM (public keys only are published)", () => {
    const docs = renderDiscoveryDocuments(settings, parsePublicKeysPem(referenceKeysPem()));
    expect(docs.jwks.body.toString("utf8")).toBe(REFERENCE_JWKS);
    expect(docs.configuration.body.toString("utf8")).toBe(REFERENCE_DISCOVERY);
  });

  it("publishes a private key's public half only", () => {
    const key = generateSigningKey("ES256");
    const fromPrivate = renderDiscoveryDocuments(settings, parsePublicKeysPem(privateKeyPem(key)));
    const fromPublic = renderDiscoveryDocuments(settings, [
      verificationKeyFrom(createPublicKey(key.privateKey)),
    ]);
    expect(fromPrivate.jwks.body.equals(fromPublic.jwks.body)).toBe(true);
    expect(fromPrivate.jwks.body.toString()).not.toContain('"d"');
  });

  it("builds jwks_uri from the external address when no URI is set", () => {
    const docs = renderDiscoveryDocuments(
      { issuer: REFERENCE_ISSUER, jwksUri: "", externalAddress: "127.0.0.1:8443" },
      [verificationKeyFrom(rsaReferenceKey())],
    );
    expect(docs.configuration.body.toString()).toBe(
      '{"issuer":"https://issuer.example.com","jwks_uri":"https://127.0.0.1:8443/openid/v1/jwks",' +
        '"response_types_supported":["id_token"],"subject_types_supported":["public"],' +
        '"id_token_signing_alg_values_supported":["RS256"]}',
    );
  });

  it("publishes a key given twice once, keeping the first position", () => {
    const rsa = verificationKeyFrom(rsaReferenceKey());
    const ec = verificationKeyFrom(ecReferenceKey());
    const docs = renderDiscoveryDocuments(settings, [rsa, ec, rsa]);
    expect(docs.jwks.body.toString()).toBe(REFERENCE_JWKS);
  });

  it("refuses an empty key set with Kubernetes' text", () => {
    expect(() => renderDiscoveryDocuments(settings, [])).toThrow("no keys provided for validating keyset");
  });
});

describe("entityTag", () => {
  it("is the quoted base64url SHA-256 of the bytes", () => {
    expect(entityTag(Buffer.from(""))).toBe('"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"');
  });

  it("changes with the key set and only with it", () => {
    const a = renderDiscoveryDocuments(settings, [verificationKeyFrom(rsaReferenceKey())]);
    const b = renderDiscoveryDocuments(settings, [verificationKeyFrom(rsaReferenceKey())]);
    const c = renderDiscoveryDocuments(settings, [
      verificationKeyFrom(rsaReferenceKey()),
      verificationKeyFrom(ecReferenceKey()),
    ]);
    expect(a.jwks.etag).toBe(b.jwks.etag);
    expect(a.configuration.etag).toBe(b.configuration.etag);
    expect(c.jwks.etag).not.toBe(a.jwks.etag);
    // ES256 joins id_token_signing_alg_values_supported, so the discovery document changes too.
    expect(c.configuration.etag).not.toBe(a.configuration.etag);
  });
});
