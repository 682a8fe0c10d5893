/**
 * How each service of the control plane is started: its entry point, its flags (derived from the
 * state layout, the ports and the NATS URL) and where it reports health. The launcher
 * (`pnpm start`) and the end-to-end tests both build their processes from this table, so they
 * run the stack the same way.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterLayout, ComponentName } from "./layout.js";
import { type ProcessSpec, tsxNodeArgs } from "./service-process.js";

/** The repository root (this file is packages/stack/src/components.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Ports of one service; 0 is never used here (the harness picks free ports itself). */
export interface ServicePorts {
  /** gRPC (the service's API, or only health for services without one). */
  grpc: number;
  /** Plain HTTP: `/metrics` and `/healthz`. */
  metrics: number;
  /** HTTPS, for the apiserver's Kubernetes API and oidc-discovery. */
  https?: number;
}

/** Default ports of `pnpm start`. */
export const defaultPorts: Record<ComponentName, ServicePorts> = {
  apiserver: { https: 6443, grpc: 6444, metrics: 9101 },
  admission: { grpc: 6445, metrics: 9102 },
  "token-controller": { grpc: 6446, metrics: 9103 },
  "kubelet-sim": { grpc: 6447, metrics: 9104 },
  "oidc-discovery": { https: 8443, grpc: 6448, metrics: 9105 },
};

/** Start order: the apiserver first (it owns the store), its admission plugin next, then the rest. */
export const startOrder: readonly ComponentName[] = [
  "admission",
  "apiserver",
  "token-controller",
  "kubelet-sim",
  "oidc-discovery",
];

/** Everything needed to derive a service's command line. */
export interface StackSettings {
  layout: ClusterLayout;
  ports: Record<ComponentName, ServicePorts>;
  natsUrl: string;
  /** Host the services listen on and reach each other at (127.0.0.1 for one machine). */
  host: string;
  /** `--service-account-issuer` (first signs). Default: `https://<host>:<apiserver https port>`. */
  issuers?: string[];
  /** Extra flags per service (tests shorten lifetimes, set clocks, ...). */
  extraArgs?: Partial<Record<ComponentName, string[]>>;
  /** Extra environment per service. */
  env?: Record<string, string>;
  /** Log format passed to every service. */
  logFormat?: "json" | "pretty";
  logLevel?: string;
}

/** The service's entry point, if the service exists in this checkout. */
export function serviceEntry(name: ComponentName): string | undefined {
  const entry = path.join(repoRoot, "services", name, "src", "main.ts");
  return existsSync(entry) ? entry : undefined;
}

/** The default issuer: the apiserver's own HTTPS address. */
export function defaultIssuer(s: Pick<StackSettings, "host" | "ports">): string {
  return `https://${s.host}:${s.ports.apiserver.https}`;
}

/** The command line of one service. */
export function serviceProcessSpec(name: ComponentName, s: StackSettings): ProcessSpec {
  const entry = serviceEntry(name);
  if (!entry)
    throw new Error(`service ${name} does not exist in this checkout (services/${name}/src/main.ts)`);
  const { layout, ports, host } = s;
  const p = ports[name];
  const own = layout.components[name];
  const apiserverGrpc = `${host}:${ports.apiserver.grpc}`;
  const issuers = s.issuers ?? [defaultIssuer(s)];
  const common = [
    `--tokenplane-home=${layout.home}`,
    `--nats-url=${s.natsUrl}`,
    `--bind-address=${host}`,
    `--grpc-port=${p.grpc}`,
    `--metrics-port=${p.metrics}`,
    `--tls-cert-file=${own.cert}`,
    `--tls-private-key-file=${own.key}`,
    `--client-ca-file=${layout.ca.cert}`,
    `--log-format=${s.logFormat ?? "json"}`,
    `--log-level=${s.logLevel ?? "info"}`,
  ];
  let args: string[];
  switch (name) {
    case "apiserver":
      args = [
        `--secure-port=${p.https}`,
        ...issuers.map((i) => `--service-account-issuer=${i}`),
        `--service-account-key-file=${layout.serviceAccountPub}`,
        `--service-account-signing-key-file=${layout.serviceAccountKey}`,
        `--admission-address=${host}:${ports.admission.grpc}`,
        `--data-dir=${layout.apiserverDataDir}`,
      ];
      break;
    case "admission":
      args = [`--apiserver-grpc-address=${apiserverGrpc}`];
      break;
    case "token-controller":
      args = [
        `--apiserver-grpc-address=${apiserverGrpc}`,
        `--service-account-private-key-file=${layout.serviceAccountKey}`,
        `--root-ca-file=${layout.ca.cert}`,
      ];
      break;
    case "kubelet-sim":
      args = [
        `--apiserver-grpc-address=${apiserverGrpc}`,
        `--apiserver-url=https://${host}:${ports.apiserver.https}`,
        `--root-dir=${layout.kubeletDir}`,
      ];
      break;
    case "oidc-discovery":
      args = [
        `--secure-port=${p.https}`,
        `--apiserver-grpc-address=${apiserverGrpc}`,
        ...issuers.map((i) => `--service-account-issuer=${i}`),
      ];
      break;
  }
  return {
    name,
    args: [...tsxNodeArgs(entry), ...common, ...args, ...(s.extraArgs?.[name] ?? [])],
    cwd: repoRoot,
    env: { ...s.env },
    healthUrl: `http://${host}:${p.metrics}/healthz`,
  };
}
