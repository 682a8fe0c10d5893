import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKeyPem } from "@tokenplane/crypto";
import { parseFlags } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import { enabledControllers, readControllerFiles, tokenControllerFlags } from "./config.js";

const ALL = [
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "root-ca-certificate-publisher-controller",
  "legacy-serviceaccount-token-cleaner-controller",
];

describe("flags", () => {
  it("have kube-controller-manager's defaults", () => {
    const cfg = parseFlags(tokenControllerFlags, {
      program: "token-controller",
      summary: "",
      argv: [],
      env: {},
    });
    expect(cfg.concurrentServiceaccountTokenSyncs).toBe(5);
    expect(cfg.legacyServiceAccountTokenCleanUpPeriod).toBe(365 * 24 * 3600 * 1000);
    expect(cfg.legacyServiceAccountTokenCleanerSyncInterval).toBe(24 * 3600 * 1000);
    expect(cfg.minResyncPeriod).toBe(12 * 3600 * 1000);
    expect(cfg.controllers).toEqual(["*"]);
    expect(cfg.serviceAccountPrivateKeyFile).toBe("");
  });

  it("take Go durations", () => {
    const cfg = parseFlags(tokenControllerFlags, {
      program: "token-controller",
      summary: "",
      argv: [
        "--legacy-service-account-token-clean-up-period=8760h",
        "--legacy-service-account-token-cleaner-sync-interval",
        "1m30s",
      ],
      env: { TOKENPLANE_CONCURRENT_SERVICEACCOUNT_TOKEN_SYNCS: "2" },
    });
    expect(cfg.legacyServiceAccountTokenCleanUpPeriod).toBe(8760 * 3600 * 1000);
    expect(cfg.legacyServiceAccountTokenCleanerSyncInterval).toBe(90_000);
    expect(cfg.concurrentServiceaccountTokenSyncs).toBe(2);
  });
});

describe("enabledControllers (--controllers)", () => {
  const cases: Array<[string[], string[]]> = [
    [["*"], ALL],
    [["*", "-legacy-serviceaccount-token-cleaner-controller"], ALL.slice(0, 3)],
    [["*", "-legacy-service-account-token-cleaner"], ALL.slice(0, 3)],
    [["serviceaccount"], ["serviceaccount-controller"]],
    [
      ["serviceaccount-token", "root-ca-cert-publisher"],
      [ALL[1]!, ALL[2]!],
    ],
    [["-serviceaccount"], []],
    [[], []],
  ];
  for (const [list, want] of cases) {
    it(JSON.stringify(list), () => expect([...enabledControllers(list)]).toEqual(want));
  }
  it("refuses unknown names with kube-controller-manager's text", () => {
    expect(() => enabledControllers(["*", "garbagecollector"])).toThrow(
      '"garbagecollector" is not in the list of known controllers',
    );
  });
});

describe("readControllerFiles", () => {
  const dir = mkdtempSync(join(tmpdir(), "token-controller-config-"));
  const ca = join(dir, "ca.crt");
  writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  const keyFile = join(dir, "sa.key");
  writeFileSync(keyFile, generateSigningKeyPem("ES256"));

  it("reads the key and falls back to the client CA bundle", async () => {
    const files = await readControllerFiles({ serviceAccountPrivateKeyFile: keyFile, rootCaFile: "" }, ca);
    expect(files.signingKey?.alg).toBe("ES256");
    expect(new TextDecoder().decode(files.rootCA)).toBe(
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
  });

  it("runs without a key (the tokens controller is then disabled)", async () => {
    const files = await readControllerFiles(
      { serviceAccountPrivateKeyFile: "", rootCaFile: ca },
      "/nonexistent",
    );
    expect(files.signingKey).toBeUndefined();
  });

  it("names the flag and file of what cannot be read", async () => {
    await expect(
      readControllerFiles({ serviceAccountPrivateKeyFile: ca, rootCaFile: "" }, ca),
    ).rejects.toThrow(
      `--service-account-private-key-file "${ca}": data does not contain a valid RSA or ECDSA private key`,
    );
    await expect(
      readControllerFiles({ serviceAccountPrivateKeyFile: "", rootCaFile: join(dir, "missing.crt") }, ca),
    ).rejects.toThrow(`--root-ca-file "${join(dir, "missing.crt")}": ENOENT`);
    await expect(
      readControllerFiles({ serviceAccountPrivateKeyFile: "", rootCaFile: keyFile }, ca),
    ).rejects.toThrow("no PEM certificate in it");
  });
});
