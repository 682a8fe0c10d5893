import { create } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { ContainerType, podReferencesSecret, visitPodSecretNames } from "./pod-secret-names.js";

const secretEnv = (secret: string) => ({
  name: "E",
  valueFrom: { secretKeyRef: { localObjectReference: { name: secret }, key: "k" } },
});
const secretEnvFrom = (secret: string) => ({ secretRef: { localObjectReference: { name: secret } } });

/** A pod that references one secret from every place a pod can. */
const everywhere = create(corev1.PodSchema, {
  metadata: { name: "p", namespace: "ns" },
  spec: {
    imagePullSecrets: [{ name: "pull" }],
    initContainers: [{ name: "i", env: [secretEnv("init-env")], envFrom: [secretEnvFrom("init-from")] }],
    containers: [
      {
        name: "c",
        env: [{ name: "PLAIN", value: "x" }, secretEnv("ctr-env")],
        envFrom: [{ configMapRef: { localObjectReference: { name: "cm" } } }, secretEnvFrom("ctr-from")],
      },
    ],
    ephemeralContainers: [
      {
        ephemeralContainerCommon: {
          name: "e",
          env: [secretEnv("eph-env")],
          envFrom: [secretEnvFrom("eph-from")],
        },
      },
    ],
    volumes: [
      { name: "empty", volumeSource: { emptyDir: {} } },
      { name: "sv", volumeSource: { secret: { secretName: "vol-secret" } } },
      {
        name: "pv",
        volumeSource: {
          projected: { sources: [{ secret: { localObjectReference: { name: "projected" } } }] },
        },
      },
    ],
  },
});

describe("visitPodSecretNames (podutil.VisitPodSecretNames)", () => {
  it("visits in Kubernetes' order: pull secrets, init, regular, ephemeral containers (envFrom first), volumes", () => {
    const seen: string[] = [];
    expect(
      visitPodSecretNames(everywhere, (n) => {
        seen.push(n);
        return true;
      }),
    ).toBe(true);
    expect(seen).toEqual([
      "pull",
      "init-from",
      "init-env",
      "ctr-from",
      "ctr-env",
      "eph-from",
      "eph-env",
      "vol-secret",
      "projected",
    ]);
  });

  it("stops when the visitor says so, and honours the container mask", () => {
    const seen: string[] = [];
    visitPodSecretNames(
      everywhere,
      (n) => {
        seen.push(n);
        return n !== "ctr-env";
      },
      ContainerType.Containers,
    );
    expect(seen).toEqual(["pull", "ctr-from", "ctr-env"]);
  });
});

describe("podReferencesSecret", () => {
  const cases: Array<[string, boolean]> = [
    ["pull", true],
    ["init-env", true],
    ["eph-from", true],
    ["vol-secret", true],
    ["projected", true],
    ["cm", false],
    ["nothing", false],
  ];
  for (const [name, want] of cases)
    it(`${name} → ${want}`, () => expect(podReferencesSecret(everywhere, name)).toBe(want));
  it("a pod without spec references nothing", () => {
    expect(podReferencesSecret(create(corev1.PodSchema, {}), "x")).toBe(false);
  });
});
