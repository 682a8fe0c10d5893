/**
 * Creates the cluster's identity material once and reuses it afterwards: the CA, one
 * certificate per component (serving + client, CN/O as in identities.ts), the administrator's
 * client certificate, and the service-account signing key. Missing pieces are created, present
 * ones are never overwritten, so a second start reuses everything.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createCertificateAuthority,
  createClientCertificate,
  createServingCertificate,
  generateSigningKeyPem,
  parseSigningKeyPem,
  publicKeyPem,
} from "@tokenplane/crypto";
import { adminIdentity, componentIdentities } from "./identities.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { type ClusterLayout, componentNames } from "./layout.js";

export interface EnsureOptions {
  /** Algorithm of a newly created service-account signing key (default RS256: RSA-2048). */
  signingKeyAlgorithm?: "RS256" | "ES256" | "ES384" | "ES512";
  /** Extra DNS names / IPs for the apiserver's serving certificate. */
  apiserverSans?: { dnsNames?: string[]; ipAddresses?: string[] };
  now?: number;
}

export interface EnsureResult {
  /** Files created by this call (relative to the state directory). */
  created: string[];
}

/** Writes a file atomically (temp + rename) with the given mode. */
async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

const loopbackIps = ["127.0.0.1", "::1"];

/** Creates whatever is missing under the layout; safe to call on every start. */
export async function ensureClusterState(
  layout: ClusterLayout,
  options: EnsureOptions = {},
): Promise<EnsureResult> {
  const now = options.now ?? Date.now();
  const created: string[] = [];
  const rel = (f: string) => path.relative(layout.home, f);
  await mkdir(layout.pkiDir, { recursive: true, mode: 0o700 });

  // The CA: everything else chains to it, so it is created first and never replaced.
  let ca: { certPem: string; keyPem: string };
  if (existsSync(layout.ca.cert) && existsSync(layout.ca.key)) {
    ca = { certPem: await readFile(layout.ca.cert, "utf8"), keyPem: await readFile(layout.ca.key, "utf8") };
  } else {
    ca = await createCertificateAuthority({ commonName: "tokenplane-ca", now });
    await writeFileAtomic(layout.ca.key, ca.keyPem, 0o600);
    await writeFileAtomic(layout.ca.cert, ca.certPem, 0o644);
    created.push(rel(layout.ca.cert));
  }

  for (const name of componentNames) {
    const paths = layout.components[name];
    if (existsSync(paths.cert) && existsSync(paths.key)) continue;
    const id = componentIdentities[name];
    const extra = name === "apiserver" ? options.apiserverSans : undefined;
    const cert = await createServingCertificate(ca, {
      commonName: id.user,
      organizations: id.groups,
      dnsNames: ["localhost", ...id.dnsNames, ...(extra?.dnsNames ?? [])],
      ipAddresses: [...loopbackIps, ...(extra?.ipAddresses ?? [])],
      clientAuth: true,
      now,
    });
    await writeFileAtomic(paths.key, cert.keyPem, 0o600);
    await writeFileAtomic(paths.cert, cert.certPem, 0o644);
    created.push(rel(paths.cert));
  }

  if (!(existsSync(layout.admin.cert) && existsSync(layout.admin.key))) {
    const admin = await createClientCertificate(ca, {
      user: adminIdentity.user,
      groups: adminIdentity.groups,
      now,
    });
    await writeFileAtomic(layout.admin.key, admin.keyPem, 0o600);
    await writeFileAtomic(layout.admin.cert, admin.certPem, 0o644);
    created.push(rel(layout.admin.cert));
  }

  if (!existsSync(layout.serviceAccountKey)) {
    const keyPem = generateSigningKeyPem(options.signingKeyAlgorithm ?? "RS256");
    await writeFileAtomic(layout.serviceAccountKey, keyPem, 0o600);
    created.push(rel(layout.serviceAccountKey));
  }
  if (!existsSync(layout.serviceAccountPub)) {
    const key = parseSigningKeyPem(await readFile(layout.serviceAccountKey, "utf8"));
    await writeFileAtomic(layout.serviceAccountPub, publicKeyPem(key), 0o644);
    created.push(rel(layout.serviceAccountPub));
  }
  return { created };
}

/** Writes `admin.kubeconfig` for the apiserver at `server`; returns its path. */
export async function writeAdminKubeconfig(layout: ClusterLayout, server: string): Promise<string> {
  const [caPem, certPem, keyPem] = await Promise.all([
    readFile(layout.ca.cert, "utf8"),
    readFile(layout.admin.cert, "utf8"),
    readFile(layout.admin.key, "utf8"),
  ]);
  await writeFileAtomic(
    layout.adminKubeconfig,
    renderKubeconfig({
      server,
      caPem,
      clientCertPem: certPem,
      clientKeyPem: keyPem,
      user: adminIdentity.user,
    }),
    0o600,
  );
  return layout.adminKubeconfig;
}
