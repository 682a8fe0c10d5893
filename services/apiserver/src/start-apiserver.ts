/**
 * Wires the apiserver from its parts: keys, storage (+ event outbox), registry (+ admission),
 * RBAC, authentication, token issuance, the Api, the gRPC services, the in-process controllers
 * and the HTTPS API. `main.ts` calls this through the service kit; everything here takes its
 * dependencies from the runtime handed in.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { createOpenIdMetadata, validateJwksUri, validateServiceAccountIssuers } from "@tokenplane/crypto";
import { tokenplanev1 } from "@tokenplane/proto";
import {
  type Config,
  createAdmissionClient,
  createGrpcChannel,
  ensureEventStream,
  type ServiceFlags,
  type ServiceRuntime,
  type ServiceStarted,
} from "@tokenplane/runtime";
import { grpcAdmissionController } from "./admission/admission-controller.js";
import { createApi } from "./api/create-api.js";
import { createRequestAuthenticator } from "./authn/request-authenticator.js";
import { createSelfSubjectReview } from "./authn/self-subject-review.js";
import { createServiceAccountTokenAuthenticator } from "./authn/service-account-token-authenticator.js";
import { createCachedTokenAuthenticator } from "./authn/token-cache.js";
import { createTokenReview } from "./authn/token-review.js";
import { createX509Authenticator } from "./authn/x509-authenticator.js";
import {
  createAccessReviews,
  createClusterRoleAggregator,
  createEscalationCheck,
  createPrivilegedGroupAuthorizer,
  createRbacAuthorizer,
  createUnionAuthorizer,
  createUnionRuleResolver,
  ensureBootstrapPolicy,
} from "./authz/index.js";
import type { apiserverFlags } from "./config.js";
import { lifecyclePublisher } from "./events/lifecycle-publisher.js";
import { authorizationService, keySetService, objectService, tokenService } from "./grpc/grpc-services.js";
import { startHttpsApi } from "./http/start-https-api.js";
import { createKeyManager, watchKeyFiles } from "./keys/key-manager.js";
import { startOutbox } from "./outbox/outbox.js";
import { readWatermark } from "./outbox/watermark-file.js";
import {
  anyStrategy,
  createPodStrategy,
  createRegistry,
  ensureSystemNamespaces,
  startNamespaceController,
} from "./registry/index.js";
import type { AdmissionController } from "./registry/registry.js";
import { systemContext } from "./request/context.js";
import { openFileStore } from "./storage/file-store.js";
import { createMemoryStore } from "./storage/memory-store.js";
import type { Storage } from "./storage/storage.js";
import { startLegacyTokenTracking } from "./tokens/legacy-token-tracking.js";
import { createTokenRequestHandler, maxTokenExpirationWarnings } from "./tokens/token-request.js";

/** Core NATS subject on which key-set changes are announced (oidc-discovery re-reads the key set). */
export const KEY_SET_CHANGED_SUBJECT = "tokenplane.keys.changed";

const HOUR_MS = 3600_000;
const MAX_TOKEN_EXPIRATION_MS = 2 ** 32 * 1000;

type Cfg = Config<ServiceFlags<typeof apiserverFlags>>;

/** kube-apiserver's start-up checks of the service-account flags, with its texts (reference §1.3, §2.4). */
function validateFlags(cfg: Cfg): void {
  if (cfg.serviceAccountIssuer.length === 0) throw new Error("service-account-issuer is a required flag");
  const issuerErrors = validateServiceAccountIssuers(cfg.serviceAccountIssuer);
  if (issuerErrors.length) throw issuerErrors[0]!;
  if (cfg.serviceAccountJwksUri) {
    const err = validateJwksUri(cfg.serviceAccountJwksUri);
    if (err) throw err;
  }
  const max = cfg.serviceAccountMaxTokenExpiration;
  if (max !== 0 && (max < HOUR_MS || max > MAX_TOKEN_EXPIRATION_MS)) {
    throw new Error("the service-account-max-token-expiration must be between 1 hour and 2^32 seconds");
  }
}

/** Starts everything; resolves once the apiserver can serve (RBAC synced). */
export async function startApiserver(rt: ServiceRuntime<typeof apiserverFlags>): Promise<ServiceStarted> {
  const { cfg, log, clock, shutdown } = rt;
  validateFlags(cfg);
  for (const warning of maxTokenExpirationWarnings(
    cfg.serviceAccountMaxTokenExpiration,
    cfg.serviceAccountExtendTokenExpiration,
  )) {
    log.warn(warning);
  }
  const stop = new AbortController();
  shutdown.add("background loops", async () => stop.abort());

  // Keys: re-read on SIGHUP or when a key file changes, for rotation without a restart.
  const keys = await createKeyManager({
    signingKeyFile: cfg.serviceAccountSigningKeyFile,
    keyFiles: cfg.serviceAccountKeyFile,
    log,
  });
  shutdown.add("key file watch", async () => unwatch());
  const unwatch = watchKeyFiles(keys, 5_000);

  // Storage, keeping history back to what the outbox has published.
  const dataDir = cfg.dataDir || join(cfg.tokenplaneHome, "data", "apiserver");
  const watermarkFile = join(dataDir, "outbox-watermark");
  let published = (): number => readWatermark(watermarkFile).revision;
  let storage: Storage;
  if (cfg.storageBackend === "memory") {
    // Nothing survives a restart in memory, so neither may the watermark.
    rmSync(watermarkFile, { force: true });
    storage = createMemoryStore({ retainFrom: () => published() });
  } else {
    storage = await openFileStore({ dir: dataDir, retainFrom: () => published(), log });
  }
  shutdown.add("storage", () => storage.close());

  // Admission call-out for pods (fails closed when the service is unreachable).
  let admission: AdmissionController | undefined;
  if (cfg.admissionAddress) {
    const channel = createGrpcChannel({ address: cfg.admissionAddress, tls: rt.tls });
    shutdown.add("admission channel", async () => channel.close());
    admission = grpcAdmissionController({
      client: createAdmissionClient(channel, { log }),
      timeoutMs: cfg.admissionTimeout,
    });
  }
  const minTokenSeconds = Math.floor(cfg.serviceAccountTokenMinExpiration / 1000);
  const registry = createRegistry({
    storage,
    clock,
    log,
    ...(admission ? { admission } : {}),
    strategies: {
      pod: anyStrategy(createPodStrategy({ minProjectedTokenSeconds: BigInt(minTokenSeconds) })),
    },
  });

  await ensureSystemNamespaces(registry);
  await ensureBootstrapPolicy(registry, systemContext(), { log });

  // Authorization: system:masters, then RBAC over an index fed by the registry's watch.
  const rbac = createRbacAuthorizer({ registry, log });
  await rbac.start(stop.signal);
  const authorizer = createUnionAuthorizer([createPrivilegedGroupAuthorizer(), rbac]);
  const ruleResolver = createUnionRuleResolver([rbac]);
  const aggregator = createClusterRoleAggregator({ registry, ctx: systemContext, log });
  await aggregator.start(stop.signal);

  // Authentication.
  const issuers = [...cfg.serviceAccountIssuer];
  const apiAudiences = cfg.apiAudiences.length ? [...cfg.apiAudiences] : issuers;
  const saTokens = createServiceAccountTokenAuthenticator({
    registry,
    clock,
    log,
    metrics: rt.metrics,
    issuers,
    keys: () => keys.keySet(),
    apiAudiences,
    lookup: cfg.serviceAccountLookup,
    deletionGraceSeconds: cfg.serviceAccountTokenDeletionGrace / 1000,
  });
  const tokenAuthenticator = createCachedTokenAuthenticator(saTokens, {
    clock,
    successTtlMs: cfg.tokenSuccessCacheTtl,
    metrics: rt.metrics,
  });
  const requestAuthenticator = createRequestAuthenticator({
    x509: createX509Authenticator(),
    token: tokenAuthenticator,
    anonymous: cfg.anonymousAuth,
  });

  // Token issuance (TokenRequest).
  const tokens = createTokenRequestHandler({
    registry,
    signingKey: () => keys.signingKey(),
    issuer: issuers[0]!,
    apiAudiences,
    maxExpirationSeconds: cfg.serviceAccountMaxTokenExpiration / 1000,
    minExpirationSeconds: minTokenSeconds,
    extendExpiration: cfg.serviceAccountExtendTokenExpiration,
    clock,
    metrics: rt.metrics,
  });

  // The issuer's discovery document and JWKS, rebuilt when the keys change. A bad issuer means
  // the endpoints are not installed (404), as kube-apiserver does (reference §6.1, §11.16).
  const externalAddress = cfg.externalHostname || `${cfg.bindAddress}:${cfg.securePort}`;
  const buildMetadata = () => {
    try {
      return createOpenIdMetadata({
        issuer: issuers[0]!,
        ...(cfg.serviceAccountJwksUri ? { jwksUri: cfg.serviceAccountJwksUri } : {}),
        externalAddress,
        keys: keys.verificationKeys(),
      });
    } catch (err) {
      log.error({ err }, "the OpenID discovery endpoints are not served");
      return undefined;
    }
  };
  let metadata = buildMetadata();
  keys.onChange(() => {
    metadata = buildMetadata();
  });

  const api = createApi({
    registry,
    authorizer,
    escalation: createEscalationCheck({ authorizer, index: rbac.index }),
    accessReviews: createAccessReviews({ authorizer, ruleResolver }),
    tokens,
    tokenReviews: {
      createTokenReview: (ctx, review) => createTokenReview(review, tokenAuthenticator, apiAudiences, ctx),
    },
    selfSubjectReviews: {
      createSelfSubjectReview: (ctx, review) => createSelfSubjectReview(ctx, review, clock.now()),
    },
    openIdMetadata: () =>
      metadata ? { configuration: metadata.configuration, jwks: metadata.jwks } : undefined,
  });

  // The internal gRPC API.
  rt.grpc.addService(tokenplanev1.ObjectService, objectService(api));
  rt.grpc.addService(tokenplanev1.TokenService, tokenService(api));
  rt.grpc.addService(tokenplanev1.AuthorizationService, authorizationService(api));
  rt.grpc.addService(
    tokenplanev1.KeySetService,
    keySetService(api, {
      current: () => ({
        issuers,
        keys: keys.verificationKeys().map((k) => ({ kid: k.kid, alg: k.alg, spkiDer: k.spkiDer })),
        jwksUri: metadata?.jwksUri ?? "",
        generation: BigInt(keys.generation()),
      }),
    }),
  );

  // Controllers that run inside kube-apiserver.
  const namespaces = startNamespaceController({ registry, storage, clock, log });
  shutdown.add("namespace controller", () => namespaces.stop());
  const tracking = startLegacyTokenTracking({ registry, clock, log });
  shutdown.add("legacy token tracking", () => tracking.stop());

  // Events: every committed change to NATS through the outbox. NATS may be down now; the outbox
  // waits and retries, and nothing committed meanwhile is lost.
  let publisher:
    | Promise<(e: Parameters<ReturnType<typeof lifecyclePublisher>>[0]) => Promise<void>>
    | undefined;
  const getPublisher = () => {
    publisher ??= rt.connectNats().then(async (h) => {
      await ensureEventStream(h.jsm);
      return lifecyclePublisher(h.js);
    });
    publisher.catch(() => {
      publisher = undefined;
    });
    return publisher;
  };
  const outbox = startOutbox({
    storage,
    watermarkFile,
    publish: async (event) => (await getPublisher())(event),
    log,
  });
  published = () => outbox.watermark();
  shutdown.add("event outbox", () => outbox.stop());
  keys.onChange(() => {
    void rt
      .connectNats()
      .then((h) =>
        h.nc.publish(
          KEY_SET_CHANGED_SUBJECT,
          toBinary(
            tokenplanev1.KeySetChangedSchema,
            create(tokenplanev1.KeySetChangedSchema, { generation: BigInt(keys.generation()) }),
          ),
        ),
      )
      .catch((err: unknown) => log.warn({ err }, "could not announce the key change on NATS"));
  });

  // The Kubernetes HTTPS API.
  const https = await startHttpsApi({
    api,
    authenticator: requestAuthenticator,
    host: cfg.bindAddress,
    port: cfg.securePort,
    tls: rt.tls,
    maxRequestBytes: cfg.maxRequestBytes,
    externalAddress,
    log,
    metrics: rt.metrics,
    ready: () => rbac.hasSynced(),
  });
  shutdown.add("https api", () => https.close());

  log.info(
    {
      securePort: https.port,
      grpcPort: rt.ports.grpc,
      storage: cfg.storageBackend,
      dataDir,
      issuer: issuers[0],
    },
    "apiserver started",
  );
  return { ready: () => rbac.hasSynced() };
}
