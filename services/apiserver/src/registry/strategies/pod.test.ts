import { toK8sJson } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { invalidText, objectFrom } from "../test-objects.js";
import { createPodStrategy, podQOSClass, podStrategy as s } from "./pod.js";
import { imageTag } from "./pod-defaults.js";
import { podUpdatableFieldsText } from "./pod-validation.js";

/** A pod as a client sends it, after v1 defaulting (as the store always applies it). */
const pod = (specJson: Record<string, unknown>, meta: Record<string, unknown> = {}) => {
  const p = objectFrom(corev1.PodSchema, {
    metadata: { name: "p", namespace: "ns", resourceVersion: "1", ...meta },
    spec: { containers: [{ name: "c", image: "busybox:1.36" }], ...specJson },
  } as never);
  s.default(p);
  return p;
};
const check = (p: corev1.Pod) => invalidText("Pod", p.metadata!.name, s.validate(p));
const tokenVolume = (source: Record<string, unknown>) => ({
  volumes: [{ name: "tok", projected: { sources: [{ serviceAccountToken: source }] } }],
});

describe("pod defaulting", () => {
  it("fills what the v1 API defaults", () => {
    const p = pod({
      serviceAccount: "legacy",
      containers: [{ name: "c", image: "busybox", ports: [{ containerPort: 80 }] }],
    });
    expect(toK8sJson(corev1.PodSpecSchema, p.spec!, false)).toEqual({
      containers: [
        {
          name: "c",
          image: "busybox",
          ports: [{ containerPort: 80, protocol: "TCP" }],
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "Always",
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "legacy",
      serviceAccount: "legacy",
      securityContext: {},
      schedulerName: "default-scheduler",
      enableServiceLinks: true,
    });
  });
  it("defaults probes (SetDefaults_Probe) and HTTP GET actions (SetDefaults_HTTPGetAction)", () => {
    const p = pod({
      containers: [
        {
          name: "c",
          image: "busybox:1.36",
          livenessProbe: { httpGet: { port: "http" } },
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5, failureThreshold: 1 },
          startupProbe: { grpc: { port: 9090 } },
          lifecycle: { postStart: { httpGet: { port: 80, path: "/up", scheme: "HTTPS" } } },
        },
      ],
      ephemeralContainers: [
        { name: "e", image: "busybox:1.36", lifecycle: { preStop: { httpGet: { port: 80 } } } },
      ],
    });
    const c = toK8sJson(corev1.ContainerSchema, p.spec!.containers[0]!, false);
    const defaults = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
    expect(c.livenessProbe).toEqual({ httpGet: { path: "/", port: "http", scheme: "HTTP" }, ...defaults });
    expect(c.readinessProbe).toEqual({
      tcpSocket: { port: 8080 },
      ...defaults,
      periodSeconds: 5,
      failureThreshold: 1,
    });
    expect(c.startupProbe).toEqual({ grpc: { port: 9090, service: "" }, ...defaults });
    expect(c.lifecycle).toEqual({ postStart: { httpGet: { path: "/up", port: 80, scheme: "HTTPS" } } });
    const e = p.spec!.ephemeralContainers[0]!.ephemeralContainerCommon!;
    expect(e.lifecycle?.preStop?.httpGet).toMatchObject({ path: "/", scheme: "HTTP" });
  });
  it("keeps serviceAccount equal to serviceAccountName", () => {
    const p = pod({ serviceAccountName: "a", serviceAccount: "b" });
    expect([p.spec!.serviceAccountName, p.spec!.serviceAccount]).toEqual(["a", "a"]);
  });
  it("defaults volume sources", () => {
    const p = pod({
      volumes: [
        { name: "e" },
        { name: "t", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } },
        { name: "s", secret: { secretName: "x" } },
      ],
    });
    expect(toK8sJson(corev1.PodSpecSchema, p.spec!, false).volumes).toEqual([
      { name: "e", emptyDir: {} },
      {
        name: "t",
        projected: {
          sources: [{ serviceAccountToken: { expirationSeconds: 3600, path: "token" } }],
          defaultMode: 420,
        },
      },
      { name: "s", secret: { secretName: "x", defaultMode: 420 } },
    ]);
  });
  it.each([
    ["busybox", "latest"],
    ["busybox:latest", "latest"],
    ["busybox:1.36", "1.36"],
    ["localhost:5000/busybox", "latest"],
    ["localhost:5000/busybox:v1", "v1"],
    ["busybox@sha256:abc", ""],
    ["busybox:latest@sha256:abc", "latest"],
  ])("image %s has tag %j", (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });
});

describe("podStrategy.validate", () => {
  const labelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  const cases: [string, Record<string, unknown>, string][] = [
    ["valid", {}, ""],
    ["no containers", { containers: [] }, `Pod "p" is invalid: spec.containers: Required value`],
    [
      "duplicate container",
      {
        containers: [
          { name: "c", image: "a" },
          { name: "c", image: "b" },
        ],
      },
      `Pod "p" is invalid: spec.containers[1].name: Duplicate value: "c"`,
    ],
    [
      "init container clashes with a container",
      { initContainers: [{ name: "c", image: "a" }] },
      `Pod "p" is invalid: spec.initContainers[0].name: Duplicate value: "c"`,
    ],
    [
      "container name",
      { containers: [{ name: "C", image: "a" }] },
      `Pod "p" is invalid: spec.containers[0].name: Invalid value: "C": ${labelMsg}`,
    ],
    [
      "image",
      { containers: [{ name: "c" }] },
      `Pod "p" is invalid: spec.containers[0].image: Required value`,
    ],
    [
      "duplicate volume",
      {
        volumes: [
          { name: "v", emptyDir: {} },
          { name: "v", emptyDir: {} },
        ],
      },
      `Pod "p" is invalid: spec.volumes[1].name: Duplicate value: "v"`,
    ],
    [
      "volume name",
      { volumes: [{ name: "V_1", emptyDir: {} }] },
      `Pod "p" is invalid: spec.volumes[0].name: Invalid value: "V_1": ${labelMsg}`,
    ],
    [
      "two sources",
      { volumes: [{ name: "v", emptyDir: {}, secret: { secretName: "s" } }] },
      `Pod "p" is invalid: spec.volumes[0].secret: Forbidden: may not specify more than 1 volume type`,
    ],
    [
      "secret name",
      { volumes: [{ name: "v", secret: {} }] },
      `Pod "p" is invalid: spec.volumes[0].secret.secretName: Required value`,
    ],
    [
      "mount of an unknown volume",
      { containers: [{ name: "c", image: "a", volumeMounts: [{ name: "nope", mountPath: "/x" }] }] },
      `Pod "p" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "nope"`,
    ],
    [
      "mount without a path",
      {
        volumes: [{ name: "v", emptyDir: {} }],
        containers: [{ name: "c", image: "a", volumeMounts: [{ name: "v" }] }],
      },
      `Pod "p" is invalid: spec.containers[0].volumeMounts[0].mountPath: Required value`,
    ],
    ["token volume", tokenVolume({ path: "token", expirationSeconds: 3607 }), ""],
    ["token of exactly 10 minutes", tokenVolume({ path: "token", expirationSeconds: 600 }), ""],
    [
      "token too short",
      tokenVolume({ path: "token", expirationSeconds: 60 }),
      `Pod "p" is invalid: spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes`,
    ],
    ["token of exactly 2^32 s", tokenVolume({ path: "token", expirationSeconds: 4294967296 }), ""],
    [
      "token too long",
      tokenVolume({ path: "token", expirationSeconds: 4294967297 }),
      `Pod "p" is invalid: spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds`,
    ],
    [
      "token path required",
      tokenVolume({}),
      `Pod "p" is invalid: spec.volumes[0].projected.path: Required value`,
    ],
    [
      "token path absolute",
      tokenVolume({ path: "/token" }),
      `Pod "p" is invalid: spec.volumes[0].projected.path: Invalid value: "/token": must be a relative path`,
    ],
    [
      "token path backsteps",
      tokenVolume({ path: "a/../../token" }),
      `Pod "p" is invalid: spec.volumes[0].projected.path: Invalid value: "a/../../token": must not contain '..'`,
    ],
    [
      "token path starts with ..",
      tokenVolume({ path: "..token" }),
      `Pod "p" is invalid: spec.volumes[0].projected.path: Invalid value: "..token": must not start with '..'`,
    ],
    [
      "conflicting projected paths",
      {
        volumes: [
          {
            name: "v",
            projected: {
              sources: [
                { serviceAccountToken: { path: "token" } },
                { configMap: { name: "cm", items: [{ key: "a", path: "x" }] } },
                { secret: { name: "s", items: [{ key: "b", path: "x" }] } },
              ],
            },
          },
        ],
      },
      `Pod "p" is invalid: spec.volumes[0].projected: Invalid value: "s": conflicting duplicate paths`,
    ],
    [
      "ephemeral containers on create",
      { ephemeralContainers: [{ name: "debug", image: "busybox" }] },
      `Pod "p" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create`,
    ],
    [
      "restart policy",
      { restartPolicy: "Sometimes" },
      `Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`,
    ],
    [
      "service account name",
      { serviceAccountName: "Bad" },
      `Pod "p" is invalid: spec.serviceAccountName: Invalid value: "Bad": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
  ];
  it.each(cases)("%s", (_, specJson, want) => {
    expect(check(pod(specJson))).toBe(want);
  });
});

describe("pod create", () => {
  it("starts Pending at generation 1 with its QoS class", () => {
    const p = pod({}, {});
    p.status = objectFrom(corev1.PodStatusSchema, { phase: "Running", podIP: "10.0.0.1" });
    s.prepareForCreate(p);
    expect(toK8sJson(corev1.PodStatusSchema, p.status!, false)).toEqual({
      phase: "Pending",
      qosClass: "BestEffort",
    });
    expect(p.metadata!.generation).toBe(1n);
  });
  it.each([
    [{}, "BestEffort"],
    [{ limits: { cpu: "1", memory: "1Gi" } }, "Guaranteed"],
    [{ requests: { cpu: "1" } }, "Burstable"],
    [{ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m" } }, "Burstable"],
  ])("QoS of %j is %s", (resources, qos) => {
    expect(podQOSClass(pod({ containers: [{ name: "c", image: "a", resources }] }).spec)).toBe(qos);
  });
  it("warns about names that are not DNS labels", () => {
    expect(s.warningsOnCreate!(pod({}, { name: "a.b" }))).toEqual([
      "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
    ]);
    expect(s.warningsOnCreate!(pod({}))).toEqual([]);
  });
});

describe("pod update", () => {
  const firstLine = (p: corev1.Pod, old: corev1.Pod) =>
    invalidText("Pod", "p", s.validateUpdate(p, old)).split("\n")[0];
  it("may change images", () => {
    expect(s.validateUpdate(pod({ containers: [{ name: "c", image: "busybox:1.37" }] }), pod({}))).toEqual(
      [],
    );
  });
  it("may not change the service account", () => {
    expect(firstLine(pod({ serviceAccountName: "other" }), pod({}))).toBe(
      `Pod "p" is invalid: spec: Forbidden: ${podUpdatableFieldsText}`,
    );
  });
  it("may not change the node", () => {
    expect(firstLine(pod({ nodeName: "n2" }), pod({ nodeName: "n1" }))).toBe(
      `Pod "p" is invalid: spec: Forbidden: ${podUpdatableFieldsText}`,
    );
  });
  it("may not add containers", () => {
    expect(
      invalidText(
        "Pod",
        "p",
        s.validateUpdate(
          pod({
            containers: [
              { name: "c", image: "a" },
              { name: "d", image: "a" },
            ],
          }),
          pod({}),
        ),
      ),
    ).toBe(`Pod "p" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers`);
  });
  it("may only add tolerations", () => {
    const old = pod({
      tolerations: [{ key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: 10 }],
    });
    const added = pod({
      tolerations: [
        { key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 },
        { key: "j", operator: "Exists" },
      ],
    });
    expect(s.validateUpdate(added, old)).toEqual([]);
    expect(invalidText("Pod", "p", s.validateUpdate(pod({}), old))).toBe(
      `Pod "p" is invalid: spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds`,
    );
  });
  it("keeps the status and bumps the generation on spec changes", () => {
    const old = pod({});
    old.metadata!.generation = 1n;
    old.status = objectFrom(corev1.PodStatusSchema, { phase: "Running" });
    const next = pod({ containers: [{ name: "c", image: "busybox:2" }] });
    next.metadata!.generation = 1n;
    s.prepareForUpdate(next, old);
    expect([next.status?.phase, next.metadata!.generation]).toEqual(["Running", 2n]);
  });
  it("/status keeps the spec and owner references", () => {
    const old = pod(
      { nodeName: "n1" },
      { ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "n1", uid: "u" }] },
    );
    const next = pod({ nodeName: "n2" });
    next.status = objectFrom(corev1.PodStatusSchema, { phase: "Running" });
    s.subresources.status!.prepareForUpdate(next, old);
    expect([next.spec!.nodeName, next.metadata!.ownerReferences.length, next.status!.phase]).toEqual([
      "n1",
      1,
      "Running",
    ]);
  });
  it("/ephemeralcontainers changes only ephemeral containers", () => {
    const old = pod({}, { labels: { a: "1" } });
    const next = pod(
      {
        serviceAccountName: "x",
        ephemeralContainers: [{ name: "debug", image: "busybox", targetContainerName: "c" }],
      },
      { labels: { a: "2" } },
    );
    const sub = s.subresources.ephemeralcontainers!;
    sub.prepareForUpdate(next, old);
    expect([
      next.spec!.serviceAccountName,
      next.spec!.ephemeralContainers.length,
      next.metadata!.labels.a,
    ]).toEqual(["", 1, "1"]);
    expect(sub.validateUpdate(next, old)).toEqual([]);
    const removed = pod({});
    sub.prepareForUpdate(removed, next);
    expect(invalidText("Pod", "p", sub.validateUpdate(removed, next))).toBe(
      `Pod "p" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "debug" may not be removed\n`,
    );
    const badTarget = pod({
      ephemeralContainers: [{ name: "debug", image: "busybox", targetContainerName: "nope" }],
    });
    sub.prepareForUpdate(badTarget, old);
    expect(invalidText("Pod", "p", sub.validateUpdate(badTarget, old))).toBe(
      `Pod "p" is invalid: spec.ephemeralContainers[0].targetContainerName: Not found: "nope"`,
    );
  });
});

describe("podStrategy.gracefulDeletePeriod", () => {
  const scheduled = (phase = "Running", grace?: number) => {
    const p = pod({
      nodeName: "n1",
      ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }),
    });
    p.status = objectFrom(corev1.PodStatusSchema, { phase });
    return p;
  };
  it.each([
    ["scheduled, default period", scheduled(), undefined, 30],
    ["scheduled, pod's own period", scheduled("Running", 45), undefined, 45],
    ["scheduled, requested period", scheduled(), 5, 5],
    ["scheduled, requested 0", scheduled(), 0, 0],
    ["negative means 1", scheduled(), -3, 1],
    ["unscheduled", pod({}), 30, 0],
    ["succeeded", scheduled("Succeeded"), undefined, 0],
    ["failed", scheduled("Failed"), 10, 0],
  ])("%s", (_, p, requested, want) => {
    expect(s.gracefulDeletePeriod!(p, requested)).toBe(want);
  });
});

describe("a lowered token floor (the test-only --service-account-token-min-expiration)", () => {
  const lowered = createPodStrategy({ minProjectedTokenSeconds: 10n });
  const p = pod(tokenVolume({ path: "token", expirationSeconds: 9 }));
  it("accepts what the default rejects and names the lowered floor", () => {
    expect(
      invalidText("Pod", "p", s.validate(pod(tokenVolume({ path: "token", expirationSeconds: 10 })))),
    ).toContain("may not specify a duration less than 10 minutes");
    expect(lowered.validate(pod(tokenVolume({ path: "token", expirationSeconds: 10 })))).toEqual([]);
    expect(invalidText("Pod", "p", lowered.validate(p))).toBe(
      `Pod "p" is invalid: spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 9: may not specify a duration less than 10 seconds`,
    );
  });
});
