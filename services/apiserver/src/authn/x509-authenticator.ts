/**
 * Client certificate authentication (k8s.io/apiserver x509 `CommonNameUserConversion`): TLS has
 * already verified the chain against the cluster CA; the leaf's subject names the user — CN is
 * the username, each O value a group, in order. A certificate without a CN authenticates nobody
 * (Kubernetes returns "not mine"), so the request falls through to its bearer token.
 */
import type { UserInfo } from "../request/context.js";
import type { Credentials } from "./authenticator.js";

/** Maps a verified client certificate to a user. */
export interface X509Authenticator {
  /** The user, or undefined when the certificate names nobody (empty CN). */
  authenticate(certificate: NonNullable<Credentials["certificate"]>): UserInfo | undefined;
}

/** The x509 authenticator; uid and extra are empty, as for Kubernetes' certificate users. */
export function createX509Authenticator(): X509Authenticator {
  return {
    authenticate(certificate) {
      if (certificate.commonName === "") return undefined;
      return { username: certificate.commonName, uid: "", groups: [...certificate.organizations], extra: {} };
    },
  };
}
