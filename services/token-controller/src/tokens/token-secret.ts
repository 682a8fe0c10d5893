/**
 * The pure rules of the tokens controller (reference §4.2, tokens_controller.go): which Secrets
 * are a ServiceAccount's tokens, what a token Secret still needs, how it is filled, and which
 * writes follow from a ServiceAccount or Secret going away. The controller's wiring
 * (`tokens-controller.ts`) reads the caches and the apiserver and applies what these return.
 */
import { clone, create } from "@bufbuild/protobuf";
import { corev1, metav1 } from "@tokenplane/proto";
import type { Action, DeleteAction } from "../client/actions.js";

/** Secret type of legacy token Secrets (k8s.io/api `SecretTypeServiceAccountToken`). */
export const SERVICE_ACCOUNT_TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token";
/** Annotation naming the token's ServiceAccount (`ServiceAccountNameKey`). */
export const SERVICE_ACCOUNT_NAME_KEY = "kubernetes.io/service-account.name";
/** Annotation with the token's ServiceAccount uid (`ServiceAccountUIDKey`). */
export const SERVICE_ACCOUNT_UID_KEY = "kubernetes.io/service-account.uid";
/** Data key of the token (`ServiceAccountTokenKey`). */
export const TOKEN_KEY = "token";
/** Data key of the root CA bundle (`ServiceAccountRootCAKey`). */
export const ROOT_CA_KEY = "ca.crt";
/** Data key of the namespace (`ServiceAccountNamespaceKey`). */
export const NAMESPACE_KEY = "namespace";

/** The identity of a ServiceAccount, as the SA queue keys it. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/**
 * serviceaccount.IsServiceAccountToken: the Secret is of the token type, its name annotation is
 * the ServiceAccount's name, and its uid annotation is empty or the ServiceAccount's uid.
 */
export function isServiceAccountToken(secret: corev1.Secret, sa: ServiceAccountRef): boolean {
  if (secret.type !== SERVICE_ACCOUNT_TOKEN_SECRET_TYPE) return false;
  const annotations = secret.metadata?.annotations ?? {};
  if ((annotations[SERVICE_ACCOUNT_NAME_KEY] ?? "") !== sa.name) return false;
  const uid = annotations[SERVICE_ACCOUNT_UID_KEY] ?? "";
  return uid === "" || uid === sa.uid;
}

/** What a token Secret still lacks (secretUpdateNeeded). */
export interface SecretNeeds {
  /** A root CA is configured and `data["ca.crt"]` differs from it. */
  readonly needsCA: boolean;
  /** `data.namespace` is empty. */
  readonly needsNamespace: boolean;
  /** `data.token` is empty. */
  readonly needsToken: boolean;
}

/** secretUpdateNeeded: compares the Secret's data with what the controller puts there. */
export function secretUpdateNeeded(secret: corev1.Secret, rootCA: Uint8Array): SecretNeeds {
  const data = secret.data;
  return {
    needsCA: rootCA.length > 0 && !bytesEqual(data[ROOT_CA_KEY], rootCA),
    needsNamespace: (data[NAMESPACE_KEY]?.length ?? 0) === 0,
    needsToken: (data[TOKEN_KEY]?.length ?? 0) === 0,
  };
}

/** True when nothing in {@link SecretNeeds} is needed. */
export function nothingNeeded(n: SecretNeeds): boolean {
  return !n.needsCA && !n.needsNamespace && !n.needsToken;
}

/**
 * The filled-in copy of a live token Secret (the body of generateTokenIfNeeded), or undefined when
 * it needs nothing: `ca.crt` set to the root CA when it differs, `namespace` when empty, `token`
 * (a legacy token of `sa` for this Secret, from `generateToken`) when empty, and the two
 * annotations always (re)set to the ServiceAccount's name and uid. The input is not changed.
 *
 * @param generateToken signs the legacy token (LegacyClaims with issuer `kubernetes/serviceaccount`)
 */
export function populateTokenSecret(
  live: corev1.Secret,
  sa: corev1.ServiceAccount,
  rootCA: Uint8Array,
  generateToken: (sa: corev1.ServiceAccount, secret: corev1.Secret) => string,
): corev1.Secret | undefined {
  const needs = secretUpdateNeeded(live, rootCA);
  if (nothingNeeded(needs)) return undefined;
  const secret = clone(corev1.SecretSchema, live);
  secret.metadata ??= create(metav1.ObjectMetaSchema);
  if (needs.needsCA) secret.data[ROOT_CA_KEY] = Uint8Array.from(rootCA);
  if (needs.needsNamespace) secret.data[NAMESPACE_KEY] = new TextEncoder().encode(secret.metadata.namespace);
  if (needs.needsToken) secret.data[TOKEN_KEY] = new TextEncoder().encode(generateToken(sa, secret));
  secret.metadata.annotations[SERVICE_ACCOUNT_NAME_KEY] = sa.metadata?.name ?? "";
  secret.metadata.annotations[SERVICE_ACCOUNT_UID_KEY] = sa.metadata?.uid ?? "";
  return secret;
}

/**
 * deleteToken: delete a token Secret with its uid as precondition (when known). NotFound (already
 * gone) and Conflict (the precondition failed: a new Secret of that name) need no retry.
 */
export function deleteTokenAction(namespace: string, name: string, uid: string): DeleteAction {
  return {
    verb: "delete",
    resource: "secrets",
    namespace,
    name,
    preconditions: uid === "" ? {} : { uid },
    tolerate: ["NotFound", "Conflict"],
  };
}

/**
 * deleteTokens: when a ServiceAccount is gone, every cached Secret of its namespace that is one of
 * its tokens ({@link isServiceAccountToken}) is deleted, each with its uid as precondition.
 */
export function deleteTokensActions(
  sa: ServiceAccountRef,
  secretsInNamespace: readonly corev1.Secret[],
): Action[] {
  return secretsInNamespace
    .filter((s) => isServiceAccountToken(s, sa))
    .map((s) =>
      deleteTokenAction(s.metadata?.namespace ?? "", s.metadata?.name ?? "", s.metadata?.uid ?? ""),
    );
}

/**
 * removeSecretReference: the ServiceAccount without `secretName` in `secrets[]`, or undefined when
 * there is nothing to do (the uid is given and differs, or the name is not referenced).
 */
export function withoutSecretReference(
  sa: corev1.ServiceAccount,
  saUID: string,
  secretName: string,
): corev1.ServiceAccount | undefined {
  if (saUID !== "" && saUID !== (sa.metadata?.uid ?? "")) return undefined;
  if (!sa.secrets.some((ref) => ref.name === secretName)) return undefined;
  const updated = clone(corev1.ServiceAccountSchema, sa);
  updated.secrets = updated.secrets.filter((ref) => ref.name !== secretName);
  return updated;
}

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined) return b.length === 0;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
