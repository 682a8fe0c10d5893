/**
 * The credentials a request presents, read as kube-apiserver's authenticators read them: a client
 * certificate counts only when TLS verified it against the cluster CA (`socket.authorized`), and
 * the bearer token is the second word of `Authorization: Bearer <token>` (bearertoken.go: case
 * of "Bearer" ignored, an empty token is no token). The token never leaves this function except
 * to the authenticator.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Credentials } from "../authn/authenticator.js";

/** What the request presented, plus a warning when the header was almost right. */
export interface PresentedCredentials {
  credentials: Credentials;
  /**
   * Why a client certificate that was presented did not verify against the cluster CA. Kubernetes'
   * x509 authenticator then fails with an error, so the request is 401 unless a bearer token
   * authenticates it (the authenticators are tried in turn; only when none succeeds is the error
   * final).
   */
  untrustedCertificate?: string;
  /** bearertoken.go's warning for `Bearer  <token>` (two spaces: an empty token). */
  warnings: string[];
}

/** The warning Kubernetes gives when the token part of the header is empty because of a space. */
export const invalidTokenWithSpaceWarning =
  "the provided Authorization header contains extra space before the bearer token, and is ignored";

/** The bearer token of an `Authorization` header value, as bearertoken.go finds it. */
export function bearerToken(header: string | undefined): { token?: string; warning?: string } {
  const auth = (header ?? "").trim();
  if (auth === "") return {};
  const parts = auth.split(" ");
  if (parts.length < 2 || parts[0]!.toLowerCase() !== "bearer") return {};
  const token = parts[1]!;
  if (token === "") return parts.length >= 3 ? { warning: invalidTokenWithSpaceWarning } : {};
  return { token };
}

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Reads the credentials of a request on a TLS socket. */
export function presentedCredentials(req: IncomingMessage): PresentedCredentials {
  const credentials: Credentials = {};
  const warnings: string[] = [];
  let untrustedCertificate: string | undefined;
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate === "function") {
    const cert = socket.getPeerCertificate();
    if (cert?.subject) {
      const cn = asList(cert.subject.CN)[0] ?? "";
      if (socket.authorized === true) {
        credentials.certificate = { commonName: cn, organizations: asList(cert.subject.O) };
      } else {
        const why =
          socket.authorizationError instanceof Error
            ? socket.authorizationError.message
            : String(socket.authorizationError);
        untrustedCertificate = `verifying certificate SN=${cert.serialNumber}, SKID=, AKID= failed: x509: ${why} (CN=${cn})`;
      }
    }
  }
  const b = bearerToken(req.headers.authorization);
  if (b.token !== undefined) credentials.bearerToken = b.token;
  if (b.warning !== undefined) warnings.push(b.warning);
  return { credentials, warnings, ...(untrustedCertificate !== undefined ? { untrustedCertificate } : {}) };
}
