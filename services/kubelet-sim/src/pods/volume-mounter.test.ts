/**
 * The volume mounter against a real temporary root directory, a token manager over a fake
 * TokenRequest and a driven clock: the first mount writes the token, the ConfigMap key and the
 * token metadata; an unchanged volume is not rewritten; a second mounter (a restarted process)
 * re-adopts the token on disk without a TokenRequest.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { generateSigningKey, signToken } from "@tokenplane/crypto";
import { corev1 } from "@tokenplane/proto";
import { FakeClock, metricValue } from "@tokenplane/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_BEHAVIOUR } from "../behaviour/behaviour.js";
import { createKubeletMetrics, type KubeletMetrics } from "../metrics/kubelet-metrics.js";
import { createLimiter } from "../scheduling/limiter.js";
import { silentLogger } from "../testing/capture-logger.js";
import type { TokenRequestLike, TokenSpec } from "../tokens/refresh-rules.js";
import { TokenManager } from "../tokens/token-manager.js";
import { projectedVolumeDir, tokenMetadataPath } from "../volumes/pod-dirs.js";
import { type MountTarget, VolumeMounter } from "./volume-mounter.js";

const T0 = Date.UTC(2024, 0, 1);
const key = generateSigningKey("ES256");
const VOLUME = "kube-api-access-x";

function newPod(): corev1.Pod {
  return create(corev1.PodSchema, {
    metadata: { name: "web", namespace: "ns", uid: "uid-web" },
    spec: {
      serviceAccountName: "default",
      volumes: [
        {
          name: VOLUME,
          volumeSource: {
            projected: {
              defaultMode: 420,
              sources: [
                { serviceAccountToken: { path: "token", expirationSeconds: 3607n } },
                {
                  configMap: {
                    localObjectReference: { name: "kube-root-ca.crt" },
                    items: [{ key: "ca.crt", path: "ca.crt" }],
                  },
                },
              ],
            },
          },
        },
      ],
    },
  });
}

const target = (): MountTarget => ({
  uid: "uid-web",
  key: "ns/web",
  pod: newPod(),
  adoptionChecked: false,
  metadataWritten: new Map(),
});

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "kubelet-sim-mounter-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A mounter as one process builds it; `liveReads` counts ConfigMap GETs (cache misses). */
function mounter(clock: FakeClock, cache = true) {
  let tokens = 0;
  let liveReads = 0;
  const metrics: KubeletMetrics = createKubeletMetrics();
  const caCert = create(corev1.ConfigMapSchema, {
    metadata: { name: "kube-root-ca.crt", namespace: "ns" },
    data: { "ca.crt": "PEM" },
  });
  const tokenManager = new TokenManager({
    clock,
    log: silentLogger,
    random: () => 0,
    async fetch(ns: string, name: string, spec: TokenSpec): Promise<TokenRequestLike> {
      tokens++;
      const iat = Math.floor(clock.now() / 1000);
      const seconds = spec.expirationSeconds ?? 3600;
      return {
        spec: { ...spec, audiences: spec.audiences ?? ["https://issuer"] },
        status: {
          token: signToken(key, {
            iss: "https://issuer",
            sub: `system:serviceaccount:${ns}:${name}`,
            iat,
            exp: iat + seconds,
            jti: `jti-${tokens}`,
          }),
          expirationTimestamp: (iat + seconds) * 1000,
        },
      };
    },
  });
  const m = new VolumeMounter({
    api: {
      getConfigMap: async () => {
        liveReads++;
        return caCert;
      },
      getSecret: async () => undefined,
    },
    apiLimiter: createLimiter({ name: "api-calls", max: 4, clock }),
    tokens: tokenManager,
    clock,
    log: silentLogger,
    metrics,
    behaviour: DEFAULT_BEHAVIOUR,
    rootDir: root,
    configMap: () => (cache ? caCert : undefined),
    secret: () => undefined,
    chown: false,
  });
  return { m, metrics, tokenCount: () => tokens, liveReads: () => liveReads };
}

const dataFile = (name: string) => path.join(projectedVolumeDir(root, "uid-web", VOLUME), name);

describe("VolumeMounter", () => {
  it("writes the token, the ConfigMap key and the token metadata, and skips an unchanged volume", async () => {
    const clock = new FakeClock(T0);
    const { m, metrics, tokenCount, liveReads } = mounter(clock);
    const entry = target();
    const first = await m.mount(entry, "mount");
    expect(first.refreshError).toBeUndefined();
    // 80 % of 3607 s in whole seconds, jitter 0.
    expect(first.refreshAt).toBe(T0 + 2886_000);
    expect(readFileSync(dataFile("token"), "utf8")).toMatch(/^ey/);
    expect(readFileSync(dataFile("ca.crt"), "utf8")).toBe("PEM");
    expect(existsSync(tokenMetadataPath(root, "uid-web", VOLUME))).toBe(true);
    expect(entry.adoptionChecked).toBe(true);
    expect(tokenCount()).toBe(1);
    expect(liveReads()).toBe(0);

    await m.mount(entry, "resync");
    expect(tokenCount()).toBe(1);
    expect(await metricValue(metrics.registry, "kubelet_sim_volume_writes_total", { reason: "mount" })).toBe(
      1,
    );
    expect(await metricValue(metrics.registry, "kubelet_sim_volume_writes_total", { reason: "resync" })).toBe(
      0,
    );
  });

  it("reads a ConfigMap missing from the cache from the apiserver", async () => {
    const { m, liveReads } = mounter(new FakeClock(T0), false);
    await m.mount(target(), "mount");
    expect(liveReads()).toBe(1);
    expect(readFileSync(dataFile("ca.crt"), "utf8")).toBe("PEM");
  });

  it("re-adopts the token on disk in a new process without a TokenRequest", async () => {
    const clock = new FakeClock(T0);
    await mounter(clock).m.mount(target(), "mount");
    const token = readFileSync(dataFile("token"), "utf8");

    await clock.advance(600_000);
    const restarted = mounter(clock);
    await restarted.m.mount(target(), "mount");
    expect(restarted.tokenCount()).toBe(0);
    expect(restarted.m.tokensAdopted()).toBe(1);
    expect(await metricValue(restarted.metrics.registry, "kubelet_sim_tokens_adopted_total")).toBe(1);
    expect(readFileSync(dataFile("token"), "utf8")).toBe(token);
  });
});
