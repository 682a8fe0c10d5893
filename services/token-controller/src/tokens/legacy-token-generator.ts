/**
 * The tokens controller's token generator (kube-controller-manager's
 * `serviceaccount.JWTTokenGenerator(serviceaccount.LegacyIssuer, privateKey)`): legacy tokens
 * (reference §1.2) signed with the controller's own copy of the service-account signing key
 * (`--service-account-private-key-file`).
 */
import { legacyClaims, type SigningKey, signToken } from "@tokenplane/crypto";
import type { corev1 } from "@tokenplane/proto";

/** Signs the legacy token of `secret` for `sa`: iss `kubernetes/serviceaccount`, sub and the four private claims, no exp. */
export type TokenGenerator = (sa: corev1.ServiceAccount, secret: corev1.Secret) => string;

/** A {@link TokenGenerator} signing with `key` (its kid goes into the header). */
export function legacyTokenGenerator(key: SigningKey): TokenGenerator {
  return (sa, secret) =>
    signToken(
      key,
      legacyClaims(
        {
          namespace: sa.metadata?.namespace ?? "",
          name: sa.metadata?.name ?? "",
          uid: sa.metadata?.uid ?? "",
        },
        { name: secret.metadata?.name ?? "" },
      ),
    );
}
