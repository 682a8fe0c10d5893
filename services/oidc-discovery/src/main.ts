/**
 * oidc-discovery: the OIDC discovery document and JWKS of the service-account issuer, over HTTPS,
 * for relying parties outside the cluster (reference §6). See README.md for flags and set-up.
 */
import { runService } from "@tokenplane/runtime";
import { oidcDiscoveryFlags } from "./config.js";
import { startOidcDiscovery } from "./start-oidc-discovery.js";

await runService(
  {
    name: "oidc-discovery",
    summary:
      "Serves /.well-known/openid-configuration and /openid/v1/jwks over HTTPS for relying parties that verify service-account tokens, with the keys of the apiserver's key set (or of --service-account-key-file files), following key rotation without a restart.",
    flags: oidcDiscoveryFlags,
  },
  startOidcDiscovery,
);
