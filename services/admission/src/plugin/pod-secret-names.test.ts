import { ContainerType, podSecretNames, visitPodSecretNames } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import { pod, projectedSecretVolume, secretEnv, secretEnvFrom, secretVolume } from "./test-fixtures.js";

/** A visitor that records every name and goes on while `goOn(name)` holds. */
function recorder(goOn: (name: string) => boolean = () => true) {
  const seen: string[] = [];
  const visit = (name: string) => {
    seen.push(name);
    return goOn(name);
  };
  return { seen, visit };
}

/** A pod that references one secret from every place a pod can. */
const everywhere = pod({
  spec: {
    imagePullSecrets: [{ name: "pull-1" }, { name: "pull-2" }],
    initContainers: [
      { name: "i", env: [secretEnv("I_ENV", "init-env")], envFrom: [secretEnvFrom("init-from")] },
    ],
    containers: [
      {
        name: "c",
        env: [{ name: "PLAIN", value: "x" }, secretEnv("C_ENV", "ctr-env")],
        envFrom: [{ configMapRef: { localObjectReference: { name: "cm" } } }, secretEnvFrom("ctr-from")],
      },
    ],
    ephemeralContainers: [
      {
        ephemeralContainerCommon: {
          name: "e",
          env: [secretEnv("E_ENV", "eph-env")],
          envFrom: [secretEnvFrom("eph-from")],
        },
      },
    ],
    volumes: [
      { name: "empty", volumeSource: { emptyDir: {} } },
      secretVolume("sv", "vol-secret"),
      projectedSecretVolume("pv", "projected-secret"),
      { name: "cmv", volumeSource: { configMap: { localObjectReference: { name: "cm" } } } },
    ],
  },
});

describe("visitPodSecretNames (podutil.VisitPodSecretNames)", () => {
  const cases: Array<[what: string, mask: number, expected: string[]]> = [
    [
      "all containers, Kubernetes' order: pull secrets, envFrom before env per container, volumes",
      ContainerType.AllContainers,
      [
        "pull-1",
        "pull-2",
        "init-from",
        "init-env",
        "ctr-from",
        "ctr-env",
        "eph-from",
        "eph-env",
        "vol-secret",
        "projected-secret",
      ],
    ],
    [
      "init containers only",
      ContainerType.InitContainers,
      ["pull-1", "pull-2", "init-from", "init-env", "vol-secret", "projected-secret"],
    ],
    [
      "containers only",
      ContainerType.Containers,
      ["pull-1", "pull-2", "ctr-from", "ctr-env", "vol-secret", "projected-secret"],
    ],
    [
      "ephemeral containers only",
      ContainerType.EphemeralContainers,
      ["pull-1", "pull-2", "eph-from", "eph-env", "vol-secret", "projected-secret"],
    ],
  ];
  it.each(cases)("%s", (_what, mask, expected) => {
    const { seen, visit } = recorder();
    expect(visitPodSecretNames(everywhere, visit, mask)).toBe(true);
    expect(seen).toEqual(expected);
  });

  it("stops at the first false and reports the walk as cut short", () => {
    const { seen, visit } = recorder((n) => n !== "ctr-from");
    expect(visitPodSecretNames(everywhere, visit)).toBe(false);
    expect(seen).toEqual(["pull-1", "pull-2", "init-from", "init-env", "ctr-from"]);
  });

  it("visits nothing for a pod without secrets or without a spec", () => {
    const { seen, visit } = recorder();
    const plain = pod({ spec: { containers: [{ name: "c", env: [{ name: "A", value: "b" }] }] } });
    expect(visitPodSecretNames(plain, visit)).toBe(true);
    expect(visitPodSecretNames(pod(), visit)).toBe(true);
    expect(seen).toEqual([]);
  });

  it("visits an empty name as a reference (a mirror pod with it still references a secret)", () => {
    const p = pod({ spec: { containers: [{ name: "c", envFrom: [{ secretRef: {} }] }] } });
    expect(podSecretNames(p)).toEqual([""]);
  });
});

describe("podSecretNames", () => {
  it("lists each name once, in visit order", () => {
    const p = pod({
      spec: {
        imagePullSecrets: [{ name: "a" }],
        containers: [{ name: "c", env: [secretEnv("X", "b"), secretEnv("Y", "a")] }],
        volumes: [secretVolume("v", "b")],
      },
    });
    expect(podSecretNames(p)).toEqual(["a", "b"]);
  });
});
