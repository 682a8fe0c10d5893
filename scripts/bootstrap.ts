/**
 * `pnpm bootstrap`: creates the cluster state (PKI, service-account key, admin.kubeconfig) under
 * $TOKENPLANE_HOME without starting anything — what docker-compose's one-shot `bootstrap`
 * container runs before the services start. Idempotent: existing files are kept.
 */
import { defineFlags, HelpRequested, parseFlags } from "@tokenplane/runtime";
import { clusterLayout, ensureClusterState, writeAdminKubeconfig } from "@tokenplane/stack";

const flags = defineFlags({
  "tokenplane-home": {
    type: "string",
    default: "./.tokenplane",
    env: "TOKENPLANE_HOME",
    unit: "path",
    help: "state directory to create or complete",
  },
  server: {
    type: "string",
    default: "https://127.0.0.1:6443",
    unit: "URL",
    help: "apiserver URL written into admin.kubeconfig",
  },
  "apiserver-dns-name": {
    type: "stringSlice",
    default: [],
    help: "extra DNS names for the apiserver's serving certificate (only when it is first created)",
  },
  "service-account-key-algorithm": {
    type: "enum",
    values: ["RS256", "ES256", "ES384", "ES512"],
    default: "RS256",
    help: "algorithm of the service-account signing key created on first run",
  },
});

try {
  const cfg = parseFlags(flags, {
    program: "pnpm bootstrap --",
    summary: "Create the tokenplane cluster state (PKI, keys, admin.kubeconfig) without starting services.",
    argv: process.argv.slice(2),
    env: process.env,
  });
  const layout = clusterLayout(cfg.tokenplaneHome);
  const result = await ensureClusterState(layout, {
    signingKeyAlgorithm: cfg.serviceAccountKeyAlgorithm as "RS256" | "ES256" | "ES384" | "ES512",
    apiserverSans: { dnsNames: [...cfg.apiserverDnsName] },
  });
  const kubeconfig = await writeAdminKubeconfig(layout, cfg.server);
  process.stdout.write(
    `${layout.home}: ${result.created.length ? `created ${result.created.join(", ")}` : "already complete"}; kubeconfig ${kubeconfig}\n`,
  );
} catch (err) {
  if (err instanceof HelpRequested) {
    process.stdout.write(`${err.help}\n`);
  } else {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
