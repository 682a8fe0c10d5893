/**
 * Builders for the pods and service accounts the plugin's tests use, so that each table row reads
 * as the Kubernetes object it stands for. Test support only; not exported from the plugin.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { StatusError } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import type { AdmissionRequest } from "./admit.js";
import { type GetServiceAccount, serviceAccountGetter } from "./service-account-getter.js";

/** The namespace every test request uses. */
export const testNamespace = "ns1";

/** A pod from a protobuf-es init shape. */
export function pod(init: MessageInitShape<typeof corev1.PodSchema> = {}): corev1.Pod {
  return create(corev1.PodSchema, init);
}

/** A ServiceAccount named `name` in {@link testNamespace}, with extra fields from `init`. */
export function serviceAccount(
  name: string,
  init: Omit<MessageInitShape<typeof corev1.ServiceAccountSchema>, "$typeName"> = {},
): corev1.ServiceAccount {
  return create(corev1.ServiceAccountSchema, {
    ...init,
    metadata: { name, namespace: testNamespace, ...init.metadata },
  });
}

/** `env: [{name, valueFrom: {secretKeyRef: {name: secret, key}}}]` entry. */
export function secretEnv(
  envName: string,
  secret: string,
  key = "k",
): MessageInitShape<typeof corev1.EnvVarSchema> {
  return { name: envName, valueFrom: { secretKeyRef: { localObjectReference: { name: secret }, key } } };
}

/** `envFrom: [{secretRef: {name: secret}}]` entry. */
export function secretEnvFrom(secret: string): MessageInitShape<typeof corev1.EnvFromSourceSchema> {
  return { secretRef: { localObjectReference: { name: secret } } };
}

/** `volumes: [{name, secret: {secretName}}]` entry. */
export function secretVolume(name: string, secret: string): MessageInitShape<typeof corev1.VolumeSchema> {
  return { name, volumeSource: { secret: { secretName: secret } } };
}

/** `volumes: [{name, projected: {sources: [{secret: {name: secret}}]}}]` entry. */
export function projectedSecretVolume(
  name: string,
  secret: string,
): MessageInitShape<typeof corev1.VolumeSchema> {
  return {
    name,
    volumeSource: { projected: { sources: [{ secret: { localObjectReference: { name: secret } } }] } },
  };
}

/** A generateName that records the prefixes it was asked for and returns `prefix + suffix`. */
export function fixedNames(suffix = "abcde"): {
  prefixes: string[];
  generateName: (prefix: string) => string;
} {
  const prefixes: string[] = [];
  const generateName = (prefix: string) => {
    prefixes.push(prefix);
    return prefix + suffix;
  };
  return { prefixes, generateName };
}

/**
 * The plugin's real lookup ({@link serviceAccountGetter}) over an in-memory cache of `accounts`
 * and a live client that finds nothing, with an instant sleep; records every lookup and live read.
 */
export function accountStore(...accounts: corev1.ServiceAccount[]): {
  getServiceAccount: GetServiceAccount;
  lookups: string[];
  liveReads: string[];
  pauses: number[];
} {
  const lookups: string[] = [];
  const liveReads: string[] = [];
  const pauses: number[] = [];
  const inner = serviceAccountGetter({
    lister: {
      get: (namespace, name) =>
        accounts.find((sa) => sa.metadata?.namespace === namespace && sa.metadata.name === name),
    },
    client: {
      get: async (namespace, name) => {
        liveReads.push(`${namespace}/${name}`);
        return undefined;
      },
    },
    sleep: async (ms) => {
      pauses.push(ms);
    },
    random: () => 0.5,
  });
  const getServiceAccount: GetServiceAccount = (namespace, name) => {
    lookups.push(`${namespace}/${name}`);
    return inner(namespace, name);
  };
  return { getServiceAccount, lookups, liveReads, pauses };
}

/** The StatusError a promise rejects with; fails the test when it resolves or throws anything else. */
export async function statusErrorOf(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError, the call succeeded");
}

/** A mirror pod `m` (annotation `kubernetes.io/config.mirror`) with one container and extra spec fields. */
export function mirrorPod(spec: MessageInitShape<typeof corev1.PodSpecSchema> = {}): corev1.Pod {
  return pod({
    metadata: { name: "m", annotations: { "kubernetes.io/config.mirror": "0123abcd" } },
    spec: { containers: [{ name: "c" }], ...spec },
  });
}

/** An admission request for `p` in {@link testNamespace}, subresource "" unless `extra` says otherwise. */
export function admissionRequest(
  operation: "CREATE" | "UPDATE",
  p: corev1.Pod,
  extra: Partial<AdmissionRequest> = {},
): AdmissionRequest {
  return { operation, subresource: "", namespace: testNamespace, pod: p, ...extra };
}
