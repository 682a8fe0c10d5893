import { describe, expect, it } from "vitest";
import {
  enforceMountableSecrets,
  limitEphemeralContainerSecretReferences,
  limitSecretReferences,
} from "./limit-secret-references.js";
import {
  pod,
  projectedSecretVolume,
  secretEnv,
  secretEnvFrom,
  secretVolume,
  serviceAccount,
} from "./test-fixtures.js";

describe("enforceMountableSecrets (reference §3.2)", () => {
  // [annotation value or undefined (absent), plugin limitSecretReferences, expected]
  const cases: Array<[string | undefined, boolean, boolean]> = [
    [undefined, false, false],
    [undefined, true, true],
    ["true", false, true],
    ["True", false, true],
    ["TRUE", false, true],
    ["t", false, true],
    ["T", false, true],
    ["1", false, true],
    ["false", false, false],
    ["0", false, false],
    ["yes", false, false], // parse error → false
    ["", false, false],
    ["tRuE", false, false],
    ["false", true, true], // the plugin setting overrides the account
    ["garbage", true, true],
  ];
  it.each(cases)("annotation %j, limitSecretReferences %s → %s", (value, limit, expected) => {
    const sa = serviceAccount(
      "sa",
      value === undefined
        ? {}
        : { metadata: { annotations: { "kubernetes.io/enforce-mountable-secrets": value } } },
    );
    expect(enforceMountableSecrets(sa, limit)).toBe(expected);
  });
});

describe("limitSecretReferences (reference §3.2)", () => {
  const sa = serviceAccount("sa", {
    secrets: [{ name: "allowed" }],
    imagePullSecrets: [{ name: "pull-ok" }],
  });
  const notReferenced = "is not allowed because service account sa does not reference that secret";

  const cases: Array<{ what: string; spec: Parameters<typeof pod>[0]; expected: string | undefined }> = [
    { what: "nothing referenced", spec: { spec: { containers: [{ name: "c" }] } }, expected: undefined },
    {
      what: "all references allowed",
      spec: {
        spec: {
          volumes: [secretVolume("v", "allowed")],
          initContainers: [
            { name: "i", env: [secretEnv("E", "allowed")], envFrom: [secretEnvFrom("allowed")] },
          ],
          containers: [{ name: "c", env: [secretEnv("E", "allowed")], envFrom: [secretEnvFrom("allowed")] }],
          imagePullSecrets: [{ name: "pull-ok" }],
        },
      },
      expected: undefined,
    },
    {
      what: "secret volume",
      spec: { spec: { volumes: [secretVolume("v", "other")] } },
      expected: `volume with secret.secretName="other" ${notReferenced}`,
    },
    {
      what: "projected secret sources are not checked",
      spec: { spec: { volumes: [projectedSecretVolume("v", "other")] } },
      expected: undefined,
    },
    {
      what: "init container envVar",
      spec: { spec: { initContainers: [{ name: "i", env: [secretEnv("PASSWORD", "other")] }] } },
      expected: `init container i with envVar PASSWORD referencing secret.secretName="other" ${notReferenced}`,
    },
    {
      what: "init container envFrom",
      spec: { spec: { initContainers: [{ name: "i", envFrom: [secretEnvFrom("other")] }] } },
      expected: `init container i with envFrom referencing secret.secretName="other" ${notReferenced}`,
    },
    {
      what: "container envVar",
      spec: { spec: { containers: [{ name: "c", env: [secretEnv("PASSWORD", "other")] }] } },
      expected: `container c with envVar PASSWORD referencing secret.secretName="other" ${notReferenced}`,
    },
    {
      what: "container envFrom",
      spec: { spec: { containers: [{ name: "c", envFrom: [secretEnvFrom("other")] }] } },
      expected: `container c with envFrom referencing secret.secretName="other" ${notReferenced}`,
    },
    {
      what: "imagePullSecrets checked against sa.imagePullSecrets, with the index",
      spec: { spec: { imagePullSecrets: [{ name: "pull-ok" }, { name: "allowed" }] } },
      expected:
        'imagePullSecrets[1].name="allowed" is not allowed because service account sa does not reference that imagePullSecret',
    },
    {
      what: "ephemeral containers are not checked on create",
      spec: {
        spec: {
          ephemeralContainers: [
            { ephemeralContainerCommon: { name: "e", envFrom: [secretEnvFrom("other")] } },
          ],
        },
      },
      expected: undefined,
    },
    {
      what: "first violation wins: volumes before containers before pull secrets",
      spec: {
        spec: {
          volumes: [secretVolume("v", "vol-bad")],
          containers: [{ name: "c", envFrom: [secretEnvFrom("env-bad")] }],
          imagePullSecrets: [{ name: "pull-bad" }],
        },
      },
      expected: `volume with secret.secretName="vol-bad" ${notReferenced}`,
    },
    {
      what: "init containers before containers",
      spec: {
        spec: {
          initContainers: [{ name: "i", env: [secretEnv("A", "init-bad")] }],
          containers: [{ name: "c", env: [secretEnv("B", "ctr-bad")] }],
        },
      },
      expected: `init container i with envVar A referencing secret.secretName="init-bad" ${notReferenced}`,
    },
    {
      what: "env before envFrom within a container",
      spec: {
        spec: {
          containers: [{ name: "c", envFrom: [secretEnvFrom("from-bad")], env: [secretEnv("X", "env-bad")] }],
        },
      },
      expected: `container c with envVar X referencing secret.secretName="env-bad" ${notReferenced}`,
    },
    {
      what: "names are printed between plain quotes, not Go %q",
      spec: { spec: { volumes: [secretVolume("v", 'we"ird')] } },
      expected: `volume with secret.secretName="we"ird" ${notReferenced}`,
    },
  ];
  it.each(cases)("$what", ({ spec, expected }) => {
    expect(limitSecretReferences(sa, pod(spec))).toBe(expected);
  });

  it("image pull secrets are not allowed by sa.secrets alone", () => {
    const onlySecrets = serviceAccount("sa", { secrets: [{ name: "pull" }] });
    expect(limitSecretReferences(onlySecrets, pod({ spec: { imagePullSecrets: [{ name: "pull" }] } }))).toBe(
      'imagePullSecrets[0].name="pull" is not allowed because service account sa does not reference that imagePullSecret',
    );
  });
});

describe("limitEphemeralContainerSecretReferences (reference §3.2)", () => {
  const sa = serviceAccount("sa", { secrets: [{ name: "allowed" }] });
  const cases: Array<
    [what: string, env: Parameters<typeof secretEnv>[], from: string[], expected: string | undefined]
  > = [
    ["allowed", [["E", "allowed"]], ["allowed"], undefined],
    [
      "envVar",
      [["TOKEN", "other"]],
      [],
      'ephemeral container debug with envVar TOKEN referencing secret.secretName="other" is not allowed because service account sa does not reference that secret',
    ],
    [
      "envFrom",
      [],
      ["other"],
      'ephemeral container debug with envFrom referencing secret.secretName="other" is not allowed because service account sa does not reference that secret',
    ],
  ];
  it.each(cases)("%s", (_what, env, from, expected) => {
    const p = pod({
      spec: {
        // Regular containers and volumes are not looked at on this path.
        volumes: [secretVolume("v", "not-checked")],
        containers: [{ name: "c", envFrom: [secretEnvFrom("not-checked")] }],
        ephemeralContainers: [
          {
            ephemeralContainerCommon: {
              name: "debug",
              env: env.map((args) => secretEnv(...args)),
              envFrom: from.map(secretEnvFrom),
            },
          },
        ],
      },
    });
    expect(limitEphemeralContainerSecretReferences(sa, p)).toBe(expected);
  });
});
