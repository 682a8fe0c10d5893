/**
 * tokenplane apiserver: the only store of objects; authentication, RBAC, TokenRequest and
 * TokenReview; the Kubernetes HTTPS API and the internal gRPC API. See README.md for the flags.
 */
import { runService } from "@tokenplane/runtime";
import { apiserverFlags } from "./config.js";
import { startApiserver } from "./start-apiserver.js";

await runService(
  {
    name: "apiserver",
    summary:
      "The tokenplane apiserver: stores objects, authenticates (client certificates, service-account tokens), authorizes with RBAC, mints and reviews tokens, and serves the Kubernetes HTTPS API and the internal gRPC API.",
    flags: apiserverFlags,
  },
  startApiserver,
);
