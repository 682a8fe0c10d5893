/**
 * The state directory contract (`$TOKENPLANE_HOME`, default `./.tokenplane`): where the cluster
 * PKI, the service-account keys, the admin kubeconfig and each service's data live. Every tool
 * (launcher, services, tests, docker-compose) resolves paths through this one function.
 */
import path from "node:path";

/** Components that hold an identity in the cluster PKI. */
export const componentNames = [
  "apiserver",
  "admission",
  "token-controller",
  "kubelet-sim",
  "oidc-discovery",
] as const;
export type ComponentName = (typeof componentNames)[number];

/** Paths of a certificate and its key. */
export interface CertPaths {
  cert: string;
  key: string;
}

/** Every path under the state directory. */
export interface ClusterLayout {
  home: string;
  pkiDir: string;
  /** The cluster CA; every serving and client certificate chains to it. */
  ca: CertPaths;
  /** One certificate per component, usable both to serve and as its client identity. */
  components: Record<ComponentName, CertPaths>;
  /** The administrator's client certificate (`O=system:masters`). */
  admin: CertPaths;
  /** Service-account token signing key (private, PKCS#8) and its public half. */
  serviceAccountKey: string;
  serviceAccountPub: string;
  adminKubeconfig: string;
  /** The apiserver's object store. */
  apiserverDataDir: string;
  /** kubelet-sim's per-pod volume tree (`kubelet/pods/<uid>/volumes/...`). */
  kubeletDir: string;
  /** JetStream storage of the nats-server the launcher starts. */
  natsDir: string;
}

/** Resolves the layout for a state directory (relative paths resolve against the cwd). */
export function clusterLayout(home: string): ClusterLayout {
  const h = path.resolve(home);
  const pkiDir = path.join(h, "pki");
  const pair = (name: string): CertPaths => ({
    cert: path.join(pkiDir, `${name}.crt`),
    key: path.join(pkiDir, `${name}.key`),
  });
  const components = Object.fromEntries(componentNames.map((c) => [c, pair(c)])) as Record<
    ComponentName,
    CertPaths
  >;
  return {
    home: h,
    pkiDir,
    ca: pair("ca"),
    components,
    admin: pair("admin"),
    serviceAccountKey: path.join(pkiDir, "sa.key"),
    serviceAccountPub: path.join(pkiDir, "sa.pub"),
    adminKubeconfig: path.join(h, "admin.kubeconfig"),
    apiserverDataDir: path.join(h, "data", "apiserver"),
    kubeletDir: path.join(h, "kubelet"),
    natsDir: path.join(h, "nats"),
  };
}

/** The default state directory: `$TOKENPLANE_HOME` or `./.tokenplane`. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.TOKENPLANE_HOME || "./.tokenplane";
}
