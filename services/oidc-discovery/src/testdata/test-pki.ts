/** A throwaway cluster PKI for process tests: the CA and one certificate per identity, as files. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCertificateAuthority, createServingCertificate } from "@tokenplane/crypto";

/** Paths of a certificate and its key. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/** The CA file and a certificate (serving + client, SANs localhost/127.0.0.1) per identity. */
export interface TestPki {
  readonly caFile: string;
  readonly caPem: string;
  readonly certs: Readonly<Record<string, CertFiles>>;
}

/**
 * Writes `ca.crt` and `<name>.crt|.key` under `dir`. Identities: `name → [CN, ...O]`, as the
 * stack's component identities (CN = user, O = groups).
 */
export async function makeTestPki(
  dir: string,
  identities: Record<string, readonly string[]>,
): Promise<TestPki> {
  const now = Date.now() - 60_000;
  const ca = await createCertificateAuthority({ commonName: "test-ca", now });
  const caFile = join(dir, "ca.crt");
  writeFileSync(caFile, ca.certPem);
  const certs: Record<string, CertFiles> = {};
  for (const [name, [cn, ...groups]] of Object.entries(identities)) {
    const made = await createServingCertificate(ca, {
      commonName: cn ?? name,
      organizations: groups,
      clientAuth: true,
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      now,
    });
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    writeFileSync(cert, made.certPem);
    writeFileSync(key, made.keyPem, { mode: 0o600 });
    certs[name] = { cert, key };
  }
  return { caFile, caPem: ca.certPem, certs };
}
