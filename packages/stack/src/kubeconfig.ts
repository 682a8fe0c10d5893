/**
 * kubeconfig files as kubectl and client libraries read them (certificate data embedded, so the
 * file works from any directory).
 */
import { stringify } from "yaml";

export interface KubeconfigInput {
  /** `https://host:port` of the apiserver's HTTPS API. */
  server: string;
  caPem: string;
  /** Client certificate and key (PEM), or a bearer token. */
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  user: string;
  clusterName?: string;
  namespace?: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** Renders a single-cluster, single-context kubeconfig. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const cluster = input.clusterName ?? "tokenplane";
  const context = `${input.user}@${cluster}`;
  const user: Record<string, string> = {};
  if (input.clientCertPem && input.clientKeyPem) {
    user["client-certificate-data"] = b64(input.clientCertPem);
    user["client-key-data"] = b64(input.clientKeyPem);
  }
  if (input.token) user.token = input.token;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: cluster, cluster: { server: input.server, "certificate-authority-data": b64(input.caPem) } },
    ],
    users: [{ name: input.user, user }],
    contexts: [
      {
        name: context,
        context: { cluster, user: input.user, ...(input.namespace ? { namespace: input.namespace } : {}) },
      },
    ],
    "current-context": context,
    preferences: {},
  });
}
