/**
 * Who each component is in the cluster PKI: the certificate subject (CN = user, O = groups, as
 * Kubernetes reads client certificates) and the names it serves under. RBAC in the apiserver
 * grants each of these users only what its component needs.
 */
import type { ComponentName } from "./layout.js";

export interface Identity {
  /** Certificate CN: the user name the apiserver sees. */
  user: string;
  /** Certificate O values: the groups the apiserver sees. */
  groups: string[];
  /** DNS SANs besides `localhost` (compose service names, in-cluster names). */
  dnsNames: string[];
}

/** The in-cluster names a pod uses for the API server (reference: kubernetes.default.svc). */
export const apiserverDnsNames = [
  "apiserver",
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
];

export const componentIdentities: Record<ComponentName, Identity> = {
  apiserver: { user: "tokenplane:apiserver", groups: [], dnsNames: apiserverDnsNames },
  admission: { user: "tokenplane:admission", groups: [], dnsNames: ["admission"] },
  // kube-controller-manager's own user name; the token controllers run as it.
  "token-controller": { user: "system:kube-controller-manager", groups: [], dnsNames: ["token-controller"] },
  // One identity for every simulated node (a real kubelet would be system:node:<name>).
  "kubelet-sim": { user: "tokenplane:kubelet-sim", groups: ["system:nodes"], dnsNames: ["kubelet-sim"] },
  "oidc-discovery": { user: "tokenplane:oidc-discovery", groups: [], dnsNames: ["oidc-discovery"] },
};

/** The administrator: full access through the `system:masters` group. */
export const adminIdentity: Identity = { user: "kubernetes-admin", groups: ["system:masters"], dnsNames: [] };
