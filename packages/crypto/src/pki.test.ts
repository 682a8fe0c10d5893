import { createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyIdFromPublicKey } from "./key-id.js";
import { parseKeysPem, parseSigningKeyPem } from "./keys.js";
import {
  type CertificateAndKey,
  createCertificateAuthority,
  createClientCertificate,
  createServingCertificate,
  subjectToUser,
} from "./pki.js";

const NOW = Date.UTC(2024, 0, 1);
const DAY = 24 * 60 * 60 * 1000;

let ca: CertificateAndKey;
let otherCa: CertificateAndKey;
let serving: CertificateAndKey;
let client: CertificateAndKey;
let foreignClient: CertificateAndKey;

beforeAll(async () => {
  // Real time for the TLS handshakes (certificates must be valid now).
  const now = Date.now() - 60_000;
  ca = await createCertificateAuthority({ commonName: "tokenplane-ca", now });
  otherCa = await createCertificateAuthority({ commonName: "other-ca", now });
  serving = await createServingCertificate(ca, {
    commonName: "apiserver",
    dnsNames: ["localhost", "kubernetes.default.svc"],
    ipAddresses: ["127.0.0.1", "::1"],
    now,
  });
  client = await createClientCertificate(ca, {
    user: "system:kube-controller-manager",
    groups: ["system:masters", "ops"],
    now,
  });
  foreignClient = await createClientCertificate(otherCa, {
    user: "mallory",
    groups: ["system:masters"],
    now,
  });
});

describe("certificate contents", () => {
  it("CA: self-signed, CA:TRUE, CN, ten years by default, ECDSA P-256 PKCS#8 key", async () => {
    const authority = await createCertificateAuthority({ commonName: "my-ca", now: NOW });
    const cert = new X509Certificate(authority.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe("CN=my-ca");
    expect(cert.issuer).toBe("CN=my-ca");
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validFrom).getTime()).toBe(NOW);
    expect(new Date(cert.validTo).getTime()).toBe(NOW + 3650 * DAY);
    expect(authority.keyPem.startsWith("-----BEGIN PRIVATE KEY-----\n")).toBe(true);
    const key = parseSigningKeyPem(authority.keyPem);
    expect([key.alg, keyIdFromPublicKey(cert.publicKey)]).toEqual(["ES256", key.kid]);
  });

  it("serving certificate: issued by the CA, SANs, serverAuth, not a CA, 365 days", async () => {
    const cert = new X509Certificate(serving.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe("CN=apiserver");
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(
      "DNS:localhost, DNS:kubernetes.default.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
    );
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    const dated = await createServingCertificate(ca, { commonName: "x", dnsNames: ["x"], now: NOW });
    const d = new X509Certificate(dated.certPem);
    expect(new Date(d.validTo).getTime() - new Date(d.validFrom).getTime()).toBe(365 * DAY);
  });

  it("component certificate: O per group then CN, serverAuth and clientAuth", async () => {
    const pair = await createServingCertificate(ca, {
      commonName: "system:kube-scheduler",
      organizations: ["system:nodes", "ops"],
      dnsNames: ["localhost"],
      clientAuth: true,
      now: NOW,
    });
    const cert = new X509Certificate(pair.certPem);
    expect(cert.subject).toBe("O=system:nodes\nO=ops\nCN=system:kube-scheduler");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  });

  it("client certificate: O per group then CN, clientAuth", () => {
    const cert = new X509Certificate(client.certPem);
    expect(cert.subject).toBe("O=system:masters\nO=ops\nCN=system:kube-controller-manager");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(cert.ca).toBe(false);
  });

  it("keys are ECDSA P-256 and match their certificates", () => {
    for (const pair of [serving, client]) {
      const key = parseSigningKeyPem(pair.keyPem);
      expect(key.alg).toBe("ES256");
      expect(key.kid).toBe(keyIdFromPublicKey(new X509Certificate(pair.certPem).publicKey));
    }
  });

  it("parseKeysPem reads a CERTIFICATE block's public key", () => {
    const [key] = parseKeysPem(serving.certPem);
    expect(key!.kid).toBe(parseSigningKeyPem(serving.keyPem).kid);
    expect(key!.publicKey.equals(createPublicKey(serving.keyPem))).toBe(true);
  });

  it("signs with an RSA CA key too (a CA given from outside may be RSA)", async () => {
    const rsaKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const rsaCa = { certPem: ca.certPem, keyPem: rsaKey.export({ type: "pkcs8", format: "pem" }).toString() };
    const cert = new X509Certificate((await createClientCertificate(rsaCa, { user: "u", now: NOW })).certPem);
    expect(cert.verify(createPublicKey(rsaKey))).toBe(true);
    expect(cert.issuer).toBe("CN=tokenplane-ca");
  });

  it("rejects an unreadable CA", async () => {
    await expect(
      createClientCertificate({ certPem: "x", keyPem: "y" }, { user: "u", now: NOW }),
    ).rejects.toMatchObject({
      code: "ERR_CERTIFICATE",
    });
  });

  it("rejects bad arguments with TypeError", async () => {
    await expect(createCertificateAuthority({ commonName: "c", now: NOW, validityDays: 0 })).rejects.toThrow(
      TypeError,
    );
    await expect(createCertificateAuthority({ commonName: "c", now: Number.NaN })).rejects.toThrow(TypeError);
    await expect(createClientCertificate(ca, { user: "", now: NOW })).rejects.toThrow(TypeError);
  });
});

describe("node tls accepts the PKI (loopback, port 0)", () => {
  let server: tls.Server;
  let port: number;
  const accepted: { user: string; groups: string[] }[] = [];
  const clientErrors: string[] = [];

  beforeAll(async () => {
    server = tls.createServer({
      key: serving.keyPem,
      cert: serving.certPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on("secureConnection", (socket) => {
      const user = subjectToUser(socket.getPeerCertificate().subject);
      if (user !== undefined) accepted.push(user);
      socket.end("ok");
    });
    server.on("tlsClientError", (error) => clientErrors.push(error.message));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.close();
    await once(server, "close");
  });

  function connect(pair: CertificateAndKey, trust = ca.certPem): Promise<{ data: string; error?: string }> {
    return new Promise((resolve) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        ca: trust,
        cert: pair.certPem,
        key: pair.keyPem,
      });
      let data = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        data += chunk;
      });
      socket.on("end", () => resolve({ data }));
      socket.on("error", (error) => {
        socket.destroy();
        resolve({ data, error: error.message });
      });
    });
  }

  it("accepts a client certificate from the CA and reads CN/O as user and groups", async () => {
    const result = await connect(client);
    expect(result).toEqual({ data: "ok" });
    expect(accepted).toEqual([{ user: "system:kube-controller-manager", groups: ["system:masters", "ops"] }]);
  });

  it("refuses a client certificate from another CA", async () => {
    const before = accepted.length;
    const result = await connect(foreignClient);
    // With TLS 1.3 the client may finish its side before the server refuses; the server drops the
    // connection (node reports it as a client error) and never hands it to the application.
    expect(result.data).toBe("");
    expect(accepted.length).toBe(before);
    expect(clientErrors.length).toBe(1);
  });

  it("tells why: the foreign certificate does not verify against the CA", async () => {
    const lenient = tls.createServer({
      key: serving.keyPem,
      cert: serving.certPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: false,
    });
    const seen: [string, boolean, string | null][] = [];
    lenient.on("secureConnection", (socket) => {
      const error = socket.authorizationError;
      seen.push([
        socket.getPeerCertificate().subject.CN as string,
        socket.authorized,
        error ? String(error) : null,
      ]);
      socket.end();
    });
    lenient.listen(0, "127.0.0.1");
    await once(lenient, "listening");
    const lenientPort = (lenient.address() as AddressInfo).port;
    for (const pair of [client, foreignClient]) {
      await new Promise<void>((resolve) => {
        const socket = tls.connect({
          host: "127.0.0.1",
          port: lenientPort,
          ca: ca.certPem,
          cert: pair.certPem,
          key: pair.keyPem,
        });
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
        socket.resume();
      });
    }
    lenient.close();
    await once(lenient, "close");
    expect(seen).toEqual([
      ["system:kube-controller-manager", true, null],
      ["mallory", false, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"],
    ]);
  });

  it("a client that trusts another CA refuses the server", async () => {
    const result = await connect(client, otherCa.certPem);
    expect(result.error).toMatch(/certificate/i);
  });
});

describe("subjectToUser", () => {
  it.each([
    ["CN and one O", { CN: "alice", O: "devs" }, { user: "alice", groups: ["devs"] }],
    ["O as an array", { CN: "bob", O: ["a", "b"] }, { user: "bob", groups: ["a", "b"] }],
    ["no O", { CN: "carol" }, { user: "carol", groups: [] }],
    ["several CN: the last counts", { CN: ["first", "last"] }, { user: "last", groups: [] }],
    ["no CN", { O: "x" }, undefined],
    ["empty CN", { CN: "" }, undefined],
    ["no subject", undefined, undefined],
  ])("%s", (_name, subject, want) => {
    expect(subjectToUser(subject)).toEqual(want);
  });
});
