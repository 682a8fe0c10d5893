/**
 * The wiring of oidc-discovery (main.ts hands it to `runService`): check the flags, pick the key
 * source, serve the documents over HTTPS, follow key changes.
 *
 * - Standalone (`--service-account-key-file` given): keys from the files, re-read on SIGHUP and
 *   when a file changes. No apiserver, no NATS.
 * - Apiserver mode (default): keys from the apiserver's KeySetService over gRPC, fetched again on
 *   `tokenplane.keys.changed` notifications, on SIGHUP and every `--key-set-resync-interval`.
 *
 * Readiness (gRPC health, `/healthz`) is true once a key set is published; until then the two
 * endpoints answer 503.
 */
import { connectNats, type ServiceRuntime, type ServiceStarted } from "@tokenplane/runtime";
import type { OidcDiscoveryFlags } from "./config.js";
import { checkDiscoveryFlags, externalAddress } from "./documents/discovery-settings.js";
import { DocumentStore } from "./documents/document-store.js";
import { createDiscoveryHandler } from "./http/discovery-handler.js";
import { startHttpsServer } from "./http/https-server.js";
import { startApiserverKeySync } from "./keys/apiserver-key-sync.js";
import { loadKeyFiles, watchKeyFiles } from "./keys/key-files.js";
import { KEY_SET_CHANGED_SUBJECT, subscribeKeySetChanged } from "./keys/key-set-events.js";

/** Starts the service; resolves once the HTTPS server listens (readiness follows the key set). */
export async function startOidcDiscovery(rt: ServiceRuntime<OidcDiscoveryFlags>): Promise<ServiceStarted> {
  const { cfg, log, clock, shutdown } = rt;
  const bindAddress = cfg.httpsBindAddress || cfg.bindAddress;
  const addressFor = (port: number) =>
    externalAddress({ externalHostname: cfg.externalHostname, bindAddress, port });

  // Refuse to start on flags Kubernetes refuses (reference §1.3) or that would leave discovery
  // uninstalled (§6.1, §11.16), before anything listens.
  const issuer = checkDiscoveryFlags(cfg.serviceAccountIssuer, {
    jwksUri: cfg.serviceAccountJwksUri,
    externalAddress: addressFor(cfg.securePort),
  });
  const standalone = cfg.serviceAccountKeyFile.length > 0;
  // Standalone: unreadable key files stop the start, as they stop kube-apiserver's.
  const initialKeys = standalone ? await loadKeyFiles(cfg.serviceAccountKeyFile) : undefined;

  let store: DocumentStore | undefined;
  const server = await startHttpsServer({
    host: bindAddress,
    port: cfg.securePort,
    certFile: cfg.httpsCertFile || rt.tls.certFile,
    keyFile: cfg.httpsPrivateKeyFile || rt.tls.keyFile,
    handler: createDiscoveryHandler({ documents: () => store?.current(), log, metrics: rt.metrics }),
  });
  shutdown.add("https server", () => server.close());
  const docs = new DocumentStore(
    { issuer, jwksUri: cfg.serviceAccountJwksUri, externalAddress: addressFor(server.port) },
    log,
  );
  store = docs;

  let onHangup: () => void;
  if (initialKeys !== undefined) {
    docs.update(initialKeys, { source: "key files" });
    const watch = watchKeyFiles({
      files: cfg.serviceAccountKeyFile,
      intervalMs: cfg.keyFileCheckInterval,
      onKeys: (keys) => docs.update(keys, { source: "key files" }),
      clock,
      log,
    });
    shutdown.add("key file watch", () => watch.stop());
    onHangup = () => void watch.reload("SIGHUP");
  } else {
    const api = rt.apiserver();
    let warnedIssuer: string | undefined;
    const sync = startApiserverKeySync({
      fetch: (signal) => api.keys.getKeySet({}, { signal }),
      onKeys: (keys, keySet, reason) => {
        // The documents must say what the tokens say (reference §6.5): warn when the apiserver
        // signs with another issuer than the one published here.
        const signing = keySet.issuers[0];
        if (signing !== undefined && signing !== issuer && signing !== warnedIssuer) {
          warnedIssuer = signing;
          log.warn(
            { issuer, apiserverIssuer: signing },
            "the apiserver signs tokens with another issuer than the one this service publishes; relying parties will reject them",
          );
        }
        docs.update(keys, { source: "apiserver", generation: String(keySet.generation), reason });
      },
      resyncMs: cfg.keySetResyncInterval,
      clock,
      log,
    });
    shutdown.add("key set sync", () => sync.stop());
    onHangup = () => sync.trigger("SIGHUP");
    let unsubscribe: (() => void) | undefined;
    let stopping = false;
    shutdown.add("key-set notifications", async () => {
      stopping = true;
      unsubscribe?.();
    });
    // Core NATS only (no JetStream needed), connected in the background: until it connects, the
    // periodic resync alone keeps the keys fresh.
    connectNats({ servers: cfg.natsUrl.split(",").map((s) => s.trim()), name: "oidc-discovery", log }).then(
      (nc) => {
        if (stopping) {
          void nc.close();
          return;
        }
        shutdown.add("NATS connection", () => nc.drain());
        unsubscribe = subscribeKeySetChanged({ nc, log, onChange: (reason) => sync.trigger(reason) });
        log.info({ subject: KEY_SET_CHANGED_SUBJECT }, "subscribed to key-set notifications");
        // Anything announced before the subscription existed is picked up by one more fetch.
        sync.trigger("subscribed to key-set notifications");
      },
      (err: unknown) => log.error({ err }, "cannot connect to NATS; relying on the periodic key-set resync"),
    );
  }
  process.on("SIGHUP", onHangup);
  shutdown.add("SIGHUP handler", async () => {
    process.off("SIGHUP", onHangup);
  });

  log.info(
    {
      issuer,
      jwksUri: docs.current()?.jwksUri ?? (cfg.serviceAccountJwksUri || "(from the external address)"),
      mode: standalone ? "key files" : "apiserver",
      httpsAddress: `${bindAddress}:${server.port}`,
    },
    "serving OIDC discovery",
  );
  return { ready: () => docs.hasDocuments() };
}
