/**
 * The Admit service over a real gRPC server with mutual TLS (certificates made at run time by
 * @tokenplane/crypto) and the real plugin, the ServiceAccount lister fed directly: what the
 * apiserver gets back when a pod is allowed (the mutated pod), denied (403 and the Status fields,
 * decoded the way the apiserver's admission controller decodes them), or when the caller is not
 * the apiserver.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { StatusError, statusFromProto, toK8sJson } from "@tokenplane/apimachinery";
import {
  type CertificateAndKey,
  createCertificateAuthority,
  createClientCertificate,
  createServingCertificate,
} from "@tokenplane/crypto";
import { corev1, tokenplanev1 } from "@tokenplane/proto";
import {
  type AdmissionClient,
  createAdmissionClient,
  createGrpcChannel,
  createGrpcServer,
  createLogger,
  type GrpcChannel,
  type GrpcServer,
  INTERNAL_ERROR_MESSAGE,
} from "@tokenplane/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdmissionServiceOptions, admissionService, authorizeCallers } from "./admission-service.js";
import { APISERVER_USER } from "./config.js";
import { serviceAccountGetter } from "./plugin/index.js";

const log = createLogger({ service: "test", level: "error", pretty: false });

/** The accounts the lister holds, by `namespace/name`; tests add to it. */
const accounts = new Map<string, corev1.ServiceAccount>();
const liveReads: string[] = [];

function account(
  namespace: string,
  name: string,
  init: Omit<MessageInitShape<typeof corev1.ServiceAccountSchema>, "$typeName"> = {},
): corev1.ServiceAccount {
  const sa = create(corev1.ServiceAccountSchema, { ...init, metadata: { name, namespace } });
  accounts.set(`${namespace}/${name}`, sa);
  return sa;
}

const getServiceAccount = serviceAccountGetter({
  lister: { get: (namespace, name) => accounts.get(`${namespace}/${name}`) },
  client: {
    get: async (namespace, name) => {
      liveReads.push(`${namespace}/${name}`);
      return undefined;
    },
  },
  sleep: async () => {},
  random: () => 0,
});

const baseOptions: AdmissionServiceOptions = {
  getServiceAccount,
  generateName: (prefix) => `${prefix}abcde`,
  log,
};

interface Served {
  server: GrpcServer;
  port: number;
}

let dir: string;
let ca: CertificateAndKey;
const servers: Served[] = [];
const channels: GrpcChannel[] = [];

/** Writes `cert` as `<name>.crt` / `<name>.key` and returns the file names. */
function writeCert(name: string, cert: CertificateAndKey): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(certFile, cert.certPem);
  writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
  return { certFile, keyFile };
}

/** An admission server with `options` over the base ones, listening on a free port. */
async function serve(options: Partial<AdmissionServiceOptions> = {}): Promise<Served> {
  const server = createGrpcServer({
    log,
    tls: { ...writeCert("admission", serving), clientCaFile: join(dir, "ca.crt") },
    serving: true,
  });
  server.addService(tokenplanev1.AdmissionService, admissionService({ ...baseOptions, ...options }), {
    authorize: authorizeCallers([APISERVER_USER]),
  });
  const port = await server.listen("127.0.0.1", 0);
  const served = { server, port };
  servers.push(served);
  return served;
}

/** A client calling `served` as `user`. */
function clientAs(user: string, served: Served): AdmissionClient {
  const files = writeCert(user.replace(/[^a-z-]/g, "_"), clientCerts.get(user)!);
  const channel = createGrpcChannel({
    address: `127.0.0.1:${served.port}`,
    tls: { ...files, caFile: join(dir, "ca.crt") },
  });
  channels.push(channel);
  return createAdmissionClient(channel, { timeoutMs: 10_000 });
}

let serving: CertificateAndKey;
const clientCerts = new Map<string, CertificateAndKey>();
let defaultServer: Served;
let apiserver: AdmissionClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "admission-service-test-"));
  const now = Date.now() - 60_000;
  ca = await createCertificateAuthority({ commonName: "test-ca", now });
  writeFileSync(join(dir, "ca.crt"), ca.certPem);
  serving = await createServingCertificate(ca, {
    commonName: "tokenplane:admission",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    now,
  });
  for (const user of [APISERVER_USER, "tokenplane:kubelet-sim"]) {
    clientCerts.set(user, await createClientCertificate(ca, { user, now }));
  }
  defaultServer = await serve();
  apiserver = clientAs(APISERVER_USER, defaultServer);
});

afterAll(async () => {
  for (const c of channels) c.close();
  for (const s of servers) await s.server.close(100);
  rmSync(dir, { recursive: true, force: true });
});

type AdmitInit = MessageInitShape<typeof tokenplanev1.AdmitRequestSchema>;

/** A CREATE of pod `p` in `namespace` with one container and extra spec fields. */
function createRequest(
  namespace: string,
  spec: MessageInitShape<typeof corev1.PodSpecSchema> = {},
  extra: Omit<AdmitInit, "$typeName"> = {},
): tokenplanev1.AdmitRequest {
  return create(tokenplanev1.AdmitRequestSchema, {
    operation: "CREATE",
    namespace,
    name: "p",
    object: {
      metadata: { name: "p", namespace },
      spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
    },
    userInfo: { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] },
    ...extra,
  });
}

/** The Status the apiserver's admission controller rebuilds from a denial. */
function apiserverError(response: tokenplanev1.AdmitResponse): StatusError {
  expect(response.allowed).toBe(false);
  expect(response.status).toBeDefined();
  return StatusError.fromStatus(statusFromProto(response.status!));
}

const tokenVolumeJson =
  '{"name":"kube-api-access-abcde","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}';
const tokenMountJson =
  '{"name":"kube-api-access-abcde","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}';

describe("Admit, allowed", () => {
  it("returns the pod of reference §9.3: default account, token volume and mount, pull secrets", async () => {
    account("ns1", "default", { imagePullSecrets: [{ name: "regcred" }] });
    const res = await apiserver.admission.admit(createRequest("ns1"));
    expect(res.allowed).toBe(true);
    expect(res.status).toBeUndefined();
    expect(res.warnings).toEqual([]);
    const json = toK8sJson(corev1.PodSchema, res.object!) as { spec: Record<string, unknown> };
    expect(json.spec.serviceAccountName).toBe("default");
    expect(json.spec.serviceAccount).toBe("default");
    expect(JSON.stringify(json.spec.volumes)).toBe(`[${tokenVolumeJson}]`);
    expect(JSON.stringify(json.spec.containers)).toBe(
      `[{"name":"c","image":"busybox","volumeMounts":[${tokenMountJson}]}]`,
    );
    expect(JSON.stringify(json.spec.imagePullSecrets)).toBe('[{"name":"regcred"}]');
  });

  it("mounts into init containers too and keeps the pod's own pull secrets", async () => {
    account("ns2", "builder", { imagePullSecrets: [{ name: "from-sa" }] });
    const res = await apiserver.admission.admit(
      createRequest("ns2", {
        serviceAccountName: "builder",
        initContainers: [{ name: "init", image: "busybox" }],
        imagePullSecrets: [{ name: "own" }],
      }),
    );
    expect(res.allowed).toBe(true);
    const spec = res.object!.spec!;
    expect(spec.serviceAccountName).toBe("builder");
    expect(spec.initContainers[0]?.volumeMounts.map((m) => m.mountPath)).toEqual([
      "/var/run/secrets/kubernetes.io/serviceaccount",
    ]);
    expect(spec.containers[0]?.volumeMounts.map((m) => m.name)).toEqual(["kube-api-access-abcde"]);
    expect(spec.imagePullSecrets.map((r) => r.name)).toEqual(["own"]);
  });

  it("respects automountServiceAccountToken: false on the account", async () => {
    account("ns3", "default", { automountServiceAccountToken: false });
    const res = await apiserver.admission.admit(createRequest("ns3"));
    expect(res.allowed).toBe(true);
    expect(res.object!.spec!.volumes).toEqual([]);
    expect(res.object!.spec!.containers[0]?.volumeMounts).toEqual([]);
    expect(res.object!.spec!.serviceAccountName).toBe("default");
  });

  it("mounts nothing when the service runs with --mount-service-account-token=false", async () => {
    account("ns4", "default");
    const served = await serve({ mountServiceAccountToken: false });
    const res = await clientAs(APISERVER_USER, served).admission.admit(createRequest("ns4"));
    expect(res.allowed).toBe(true);
    expect(res.object!.spec!.volumes).toEqual([]);
    expect(res.object!.spec!.serviceAccountName).toBe("default");
  });

  it("answers a dry run the same way", async () => {
    account("ns5", "default");
    const res = await apiserver.admission.admit(createRequest("ns5", {}, { dryRun: true }));
    expect(res.allowed).toBe(true);
    expect(res.object!.spec!.volumes.map((v) => v.name)).toEqual(["kube-api-access-abcde"]);
  });

  it("takes the pod's namespace when the request names none", async () => {
    account("ns6", "default", { imagePullSecrets: [{ name: "ns6-cred" }] });
    const res = await apiserver.admission.admit(createRequest("ns6", {}, { namespace: "" }));
    expect(res.allowed).toBe(true);
    expect(res.object!.spec!.imagePullSecrets.map((r) => r.name)).toEqual(["ns6-cred"]);
  });

  it("passes what the plugin ignores unchanged", async () => {
    const unchanged = createRequest("ns-none", {}, { operation: "DELETE" });
    const res = await apiserver.admission.admit(unchanged);
    expect(res.allowed).toBe(true);
    expect(res.object!.spec!.serviceAccountName).toBe("");
    expect(res.object!.spec!.volumes).toEqual([]);

    const other = await apiserver.admission.admit(createRequest("ns-none", {}, { subresource: "status" }));
    expect(other.allowed).toBe(true);
    expect(other.object!.spec!.serviceAccountName).toBe("");

    const empty = await apiserver.admission.admit({ operation: "CREATE", namespace: "ns-none", name: "p" });
    expect(empty.allowed).toBe(true);
    expect(empty.object).toBeUndefined();
  });

  it("allows an update that keeps the account, without mutating it", async () => {
    const stored = createRequest("ns-none", { serviceAccountName: "x", serviceAccount: "x" }).object!;
    const res = await apiserver.admission.admit({
      ...createRequest("ns-none", { serviceAccountName: "x", serviceAccount: "x" }, { operation: "UPDATE" }),
      oldObject: stored,
    });
    expect(res.allowed).toBe(true);
    expect(res.object!.spec!.volumes).toEqual([]);
  });
});

describe("Admit, denied", () => {
  it("refuses a pod naming a missing account with Kubernetes' 403", async () => {
    liveReads.length = 0;
    const res = await apiserver.admission.admit(createRequest("ns1", { serviceAccountName: "sa" }));
    expect(res.object).toBeUndefined();
    expect(res.status).toMatchObject({
      status: "Failure",
      message:
        'pods "p" is forbidden: error looking up service account ns1/sa: serviceaccount "sa" not found',
      reason: "Forbidden",
      code: 403,
      details: { name: "p", group: "", kind: "pods" },
    });
    const err = apiserverError(res);
    expect(err.status).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        'pods "p" is forbidden: error looking up service account ns1/sa: serviceaccount "sa" not found',
      reason: "Forbidden",
      details: { name: "p", kind: "pods" },
      code: 403,
    });
    // A cache miss reads the apiserver once for a name other than `default` (reference §3.4).
    expect(liveReads).toEqual(["ns1/sa"]);
  });

  it("reads a missing default account 10 times before refusing", async () => {
    liveReads.length = 0;
    const res = await apiserver.admission.admit(createRequest("ns-empty", {}, { name: "" }));
    expect(apiserverError(res).message).toBe(
      'pods "p" is forbidden: error looking up service account ns-empty/default: serviceaccount "default" not found',
    );
    expect(liveReads).toEqual(Array(10).fill("ns-empty/default"));
  });

  it("names the pod by generateName when it has no name yet", async () => {
    const req = createRequest("ns1", { serviceAccountName: "sa" });
    req.object = create(corev1.PodSchema, {
      metadata: { generateName: "web-", namespace: "ns1" },
      spec: { serviceAccountName: "sa", containers: [{ name: "c" }] },
    });
    const err = apiserverError(await apiserver.admission.admit(req));
    expect(err.message).toBe(
      'pods "web-" is forbidden: error looking up service account ns1/sa: serviceaccount "sa" not found',
    );
    expect(err.status.details).toEqual({ name: "web-", kind: "pods" });
  });

  it("refuses to change the account on update", async () => {
    const res = await apiserver.admission.admit({
      ...createRequest("ns1", { serviceAccountName: "other" }, { operation: "UPDATE" }),
      oldObject: createRequest("ns1", { serviceAccountName: "default" }).object!,
    });
    expect(apiserverError(res).message).toBe(
      'pods "p" is forbidden: spec.serviceAccountName: Forbidden: field is immutable',
    );
  });

  it("checks the account of an ephemeralcontainers update", async () => {
    const res = await apiserver.admission.admit(
      createRequest(
        "ns1",
        { serviceAccountName: "gone" },
        { operation: "UPDATE", subresource: "ephemeralcontainers" },
      ),
    );
    expect(apiserverError(res).message).toBe(
      'pods "p" is forbidden: error looking up service account ns1/gone: serviceaccount "gone" not found',
    );
  });

  it("refuses a mirror pod that names an account", async () => {
    const req = createRequest("ns1", { serviceAccountName: "default" });
    req.object = create(corev1.PodSchema, {
      metadata: { name: "m", namespace: "ns1", annotations: { "kubernetes.io/config.mirror": "x" } },
      spec: { serviceAccountName: "default", containers: [{ name: "c" }] },
    });
    expect(apiserverError(await apiserver.admission.admit(req)).message).toBe(
      'pods "m" is forbidden: a mirror pod may not reference service accounts',
    );
  });

  it("enforces mountable secrets with --limit-secret-references", async () => {
    account("ns7", "default", { secrets: [{ name: "allowed" }] });
    const served = await serve({ limitSecretReferences: true });
    const client = clientAs(APISERVER_USER, served);
    const ok = await client.admission.admit(
      createRequest("ns7", { volumes: [{ name: "v", volumeSource: { secret: { secretName: "allowed" } } }] }),
    );
    expect(ok.allowed).toBe(true);
    const res = await client.admission.admit(
      createRequest("ns7", { volumes: [{ name: "v", volumeSource: { secret: { secretName: "other" } } }] }),
    );
    expect(apiserverError(res).message).toBe(
      'pods "p" is forbidden: volume with secret.secretName="other" is not allowed because service account default does not reference that secret',
    );
  });
});

describe("Admit, failures and callers", () => {
  it("refuses callers other than the apiserver with 403", async () => {
    const kubelet = clientAs("tokenplane:kubelet-sim", defaultServer);
    account("ns1", "default");
    const err = await kubelet.admission.admit(createRequest("ns1")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).status).toMatchObject({
      code: 403,
      reason: "Forbidden",
      message: 'forbidden: User "tokenplane:kubelet-sim" cannot call /tokenplane.v1.AdmissionService/Admit',
    });
  });

  it("throws unexpected errors, which the caller sees as a 500 without the detail", async () => {
    account("ns8", "default");
    const served = await serve({
      generateName: () => {
        throw new Error("no entropy");
      },
    });
    const err = await clientAs(APISERVER_USER, served)
      .admission.admit(createRequest("ns8"))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).status).toMatchObject({
      code: 500,
      reason: "InternalError",
      message: INTERNAL_ERROR_MESSAGE,
    });
  });
});
