// Validation on CREATE (reference §3.2) and the requests the plugin ignores (§3).
import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { admit, shouldIgnore, validate } from "./admit.js";
import { PluginName } from "./constants.js";
import {
  accountStore,
  admissionRequest,
  mirrorPod,
  pod,
  projectedSecretVolume,
  secretEnv,
  secretEnvFrom,
  secretVolume,
  serviceAccount,
  statusErrorOf,
} from "./test-fixtures.js";

type PodInit = MessageInitShape<typeof corev1.PodSchema>;
type SpecInit = MessageInitShape<typeof corev1.PodSpecSchema>;

describe("plugin identity", () => {
  it("is registered as ServiceAccount", () => {
    expect(PluginName).toBe("ServiceAccount");
  });
});

describe("shouldIgnore (reference §3)", () => {
  const p = pod({ metadata: { name: "p" } });
  const cases: Array<[what: string, req: Parameters<typeof shouldIgnore>[0], ignored: boolean]> = [
    ["pods, CREATE", { operation: "CREATE", subresource: "", pod: p }, false],
    [
      "pods (explicit resource), UPDATE",
      { operation: "UPDATE", resource: "pods", subresource: "", pod: p },
      false,
    ],
    ["pods/ephemeralcontainers", { operation: "UPDATE", subresource: "ephemeralcontainers", pod: p }, false],
    ["pods/status", { operation: "UPDATE", subresource: "status", pod: p }, true],
    ["pods/binding", { operation: "CREATE", subresource: "binding", pod: p }, true],
    ["another resource", { operation: "CREATE", resource: "configmaps", subresource: "", pod: p }, true],
    ["no object", { operation: "CREATE", subresource: "", pod: undefined }, true],
    [
      "an object that is not a Pod",
      { operation: "CREATE", subresource: "", pod: create(corev1.ServiceAccountSchema) },
      true,
    ],
    ["DELETE is not handled", { operation: "DELETE", subresource: "", pod: p }, true],
    ["CONNECT is not handled", { operation: "CONNECT", subresource: "", pod: p }, true],
  ];
  it.each(cases)("%s → ignored %s", (_what, req, ignored) => {
    expect(shouldIgnore(req)).toBe(ignored);
  });

  it("admit returns an unchanged copy of an ignored request's pod without a lookup", async () => {
    const store = accountStore();
    const input = pod({ metadata: { name: "p" }, spec: { containers: [{ name: "c" }] } });
    const { pod: out, warnings } = await admit(admissionRequest("UPDATE", input, { subresource: "status" }), {
      getServiceAccount: store.getServiceAccount,
    });
    expect(equals(corev1.PodSchema, out, input)).toBe(true);
    expect(out).not.toBe(input);
    expect(warnings).toEqual([]);
    expect(store.lookups).toEqual([]);
  });
});

describe("validate on CREATE: mirror pods (reference §3.2)", () => {
  const cases: Array<{ what: string; spec: SpecInit; message?: string }> = [
    { what: "a plain mirror pod is allowed", spec: {} },
    {
      what: "serviceAccountName",
      spec: { serviceAccountName: "default" },
      message: "a mirror pod may not reference service accounts",
    },
    {
      what: "the deprecated serviceAccount alias",
      spec: { serviceAccount: "default" },
      message: "a mirror pod may not reference service accounts",
    },
    {
      what: "a secret volume",
      spec: { volumes: [secretVolume("v", "s")] },
      message: "a mirror pod may not reference secrets",
    },
    {
      what: "a projected secret",
      spec: { volumes: [projectedSecretVolume("v", "s")] },
      message: "a mirror pod may not reference secrets",
    },
    {
      what: "a container env secretKeyRef",
      spec: { containers: [{ name: "c", env: [secretEnv("E", "s")] }] },
      message: "a mirror pod may not reference secrets",
    },
    {
      what: "an init container envFrom secretRef",
      spec: { initContainers: [{ name: "i", envFrom: [secretEnvFrom("s")] }] },
      message: "a mirror pod may not reference secrets",
    },
    {
      what: "an ephemeral container env secretKeyRef",
      spec: {
        ephemeralContainers: [{ ephemeralContainerCommon: { name: "e", env: [secretEnv("E", "s")] } }],
      },
      message: "a mirror pod may not reference secrets",
    },
    {
      what: "imagePullSecrets",
      spec: { imagePullSecrets: [{ name: "regcred" }] },
      message: "a mirror pod may not reference secrets",
    },
    {
      what: "a ServiceAccountToken projection",
      spec: {
        volumes: [
          {
            name: "tok",
            volumeSource: {
              projected: { sources: [{ serviceAccountToken: { path: "token", audience: "vault" } }] },
            },
          },
        ],
      },
      message: "a mirror pod may not use ServiceAccountToken volume projections",
    },
    {
      what: "service accounts are checked before secrets",
      spec: { serviceAccountName: "sa", volumes: [secretVolume("v", "s")] },
      message: "a mirror pod may not reference service accounts",
    },
    {
      what: "secrets are checked before token projections",
      spec: {
        volumes: [
          secretVolume("v", "s"),
          {
            name: "tok",
            volumeSource: { projected: { sources: [{ serviceAccountToken: { path: "token" } }] } },
          },
        ],
      },
      message: "a mirror pod may not reference secrets",
    },
  ];
  it.each(cases)("$what", async ({ spec, message }) => {
    const store = accountStore(serviceAccount("default"), serviceAccount("sa"));
    const input = mirrorPod(spec);
    const deps = { getServiceAccount: store.getServiceAccount };
    for (const run of [
      () => validate(admissionRequest("CREATE", input), deps),
      () => admit(admissionRequest("CREATE", input), deps),
    ]) {
      if (message === undefined) {
        await run();
      } else {
        const err = await statusErrorOf(run());
        expect(err.message).toBe(`pods "m" is forbidden: ${message}`);
        expect(err.code).toBe(403);
        expect(err.reason).toBe("Forbidden");
      }
    }
    // Mirror pods never trigger a lookup.
    expect(store.lookups).toEqual([]);
  });
});

describe("validate on CREATE: ordinary pods (reference §3.2)", () => {
  const enforcing = serviceAccount("sa", {
    metadata: { annotations: { "kubernetes.io/enforce-mountable-secrets": "true" } },
    secrets: [{ name: "ok" }],
    imagePullSecrets: [{ name: "pull" }],
  });
  const relaxed = serviceAccount("relaxed", {
    metadata: { annotations: { "kubernetes.io/enforce-mountable-secrets": "yes" } }, // not a Go bool → false
  });
  const cases: Array<{ what: string; init: PodInit; limit?: boolean; message?: string }> = [
    {
      what: "no service account (validate without admit)",
      init: { metadata: { name: "p" }, spec: {} },
      message: "no service account specified for pod ns1/p",
    },
    {
      what: "no service account, generateName only: the text has the empty name, the 403 the prefix",
      init: { metadata: { generateName: "web-" }, spec: {} },
      message: "no service account specified for pod ns1/",
    },
    {
      what: "missing account",
      init: { metadata: { name: "p" }, spec: { serviceAccountName: "ghost" } },
      message: 'error looking up service account ns1/ghost: serviceaccount "ghost" not found',
    },
    {
      what: "enforcing account, allowed references",
      init: {
        metadata: { name: "p" },
        spec: {
          serviceAccountName: "sa",
          volumes: [secretVolume("v", "ok")],
          imagePullSecrets: [{ name: "pull" }],
        },
      },
    },
    {
      what: "enforcing account, unlisted secret volume",
      init: {
        metadata: { name: "p" },
        spec: { serviceAccountName: "sa", volumes: [secretVolume("v", "nope")] },
      },
      message:
        'volume with secret.secretName="nope" is not allowed because service account sa does not reference that secret',
    },
    {
      what: "enforcing account, unlisted pull secret",
      init: {
        metadata: { name: "p" },
        spec: { serviceAccountName: "sa", imagePullSecrets: [{ name: "ok" }] },
      },
      message:
        'imagePullSecrets[0].name="ok" is not allowed because service account sa does not reference that imagePullSecret',
    },
    {
      what: "annotation that Go does not parse as true: not enforced",
      init: {
        metadata: { name: "p" },
        spec: { serviceAccountName: "relaxed", volumes: [secretVolume("v", "nope")] },
      },
    },
    {
      what: "limitSecretReferences overrides the annotation",
      init: {
        metadata: { name: "p" },
        spec: { serviceAccountName: "relaxed", volumes: [secretVolume("v", "nope")] },
      },
      limit: true,
      message:
        'volume with secret.secretName="nope" is not allowed because service account relaxed does not reference that secret',
    },
  ];
  it.each(cases)("$what", async ({ init, limit, message }) => {
    const store = accountStore(enforcing, relaxed);
    const run = validate(admissionRequest("CREATE", pod(init)), {
      getServiceAccount: store.getServiceAccount,
      ...(limit === undefined ? {} : { limitSecretReferences: limit }),
    });
    if (message === undefined) {
      await run;
    } else {
      const err = await statusErrorOf(run);
      const name = init.metadata?.name || init.metadata?.generateName;
      expect(err.message).toBe(`pods "${name}" is forbidden: ${message}`);
      expect(err.code).toBe(403);
    }
  });
});
