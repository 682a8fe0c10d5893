/**
 * Throwaway certificates for the runtime's gRPC tests, made with `openssl` (the crypto package's
 * PKI is not used here so that these tests do not depend on it). Not exported from the package.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Paths of one certificate and its key. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
}

/** A CA and certificates issued by it, all files under one directory. */
export interface TestPki {
  readonly dir: string;
  readonly ca: TestCert;
  /** Serving certificate: CN=server, SANs DNS:localhost and IP:127.0.0.1. */
  readonly server: TestCert;
  /** Issues a client certificate with this CN and O values. */
  client(name: string, user: string, groups?: readonly string[]): TestCert;
  /** Issues another serving certificate with the given `subjectAltName` (`DNS:localhost`). */
  serving(name: string, subjectAltName: string): TestCert;
}

/** Creates a CA named `caName` in `dir` (files prefixed with it) and its serving certificate. */
export function makeTestPki(dir: string, caName = "ca"): TestPki {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    `${caName}.key`,
    "-out",
    `${caName}.crt`,
    "-days",
    "1",
    "-subj",
    `/CN=${caName}`,
  );
  const issue = (name: string, subject: string, ext: string): TestCert => {
    const file = `${caName}-${name}`;
    writeFileSync(join(dir, `${file}.ext`), ext);
    openssl("req", "-new", ...ec, "-keyout", `${file}.key`, "-out", `${file}.csr`, "-subj", subject);
    openssl(
      "x509",
      "-req",
      "-in",
      `${file}.csr`,
      "-CA",
      `${caName}.crt`,
      "-CAkey",
      `${caName}.key`,
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      `${file}.crt`,
      "-extfile",
      `${file}.ext`,
    );
    return { cert: join(dir, `${file}.crt`), key: join(dir, `${file}.key`) };
  };
  const serving = (name: string, san: string) =>
    issue(name, `/CN=${name}`, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  const server = serving("server", "DNS:localhost,IP:127.0.0.1");
  return {
    dir,
    ca: { cert: join(dir, `${caName}.crt`), key: join(dir, `${caName}.key`) },
    server,
    serving,
    client: (name, user, groups = []) =>
      issue(name, `${groups.map((g) => `/O=${g}`).join("")}/CN=${user}`, "extendedKeyUsage=clientAuth\n"),
  };
}
