/**
 * Writing a pod's projected volumes, the part of a pod worker that touches tokens and files: the
 * tokens (cached or new) through the token manager, the ConfigMaps and Secrets (informer cache,
 * else a live GET), every volume through the atomic writer, and the token metadata beside it.
 *
 * A restart re-adopts running pods: the first mount of a pod in this process reads the token
 * metadata next to each volume and caches the tokens still on disk (reference §5 semantics kept:
 * a token due for refresh is refreshed at once), so no TokenRequest is made for tokens that are
 * still good, and an unchanged volume is not rewritten.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { corev1 } from "@tokenplane/proto";
import type { Clock, Logger } from "@tokenplane/runtime";
import type { Behaviour } from "../behaviour/behaviour.js";
import type { KubeletApi } from "../client/kubelet-api.js";
import { KubeletSimError } from "../errors.js";
import type { KubeletMetrics } from "../metrics/kubelet-metrics.js";
import type { Limiter } from "../scheduling/limiter.js";
import { refreshDueAt } from "../tokens/refresh-rules.js";
import type { TokenManager } from "../tokens/token-manager.js";
import {
  adoptToken,
  decodeTokenMetadata,
  encodeTokenMetadata,
  type TokenRecord,
  tokenRecord,
} from "../tokens/token-metadata.js";
import { DATA_DIR_NAME, writeAtomically } from "../volumes/atomic-writer.js";
import { fsGroupFrom } from "../volumes/file-modes.js";
import { projectedVolumeDir, tokenMetadataPath } from "../volumes/pod-dirs.js";
import { projectedVolumesOf, projectVolume, tokenSourcesOf, tokenSpecFor } from "../volumes/projection.js";

/** Options of {@link VolumeMounter}: the part of the pod manager's options mounting needs. */
export interface VolumeMounterOptions {
  /** Only the live reads of ConfigMaps and Secrets. */
  readonly api: Pick<KubeletApi, "getConfigMap" | "getSecret">;
  /** The line of non-token API calls (ConfigMap and Secret reads on a cache miss). */
  readonly apiLimiter: Limiter;
  readonly tokens: TokenManager;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: KubeletMetrics;
  readonly behaviour: Behaviour;
  /** `--root-dir`. */
  readonly rootDir: string;
  /** The informer caches of ConfigMaps and Secrets (a miss falls back to a live GET). */
  readonly configMap: (namespace: string, name: string) => corev1.ConfigMap | undefined;
  readonly secret: (namespace: string, name: string) => corev1.Secret | undefined;
  /** Apply owners (runs as root). */
  readonly chown: boolean;
}

/** What the mounter reads and keeps of a pod worker's entry. */
export interface MountTarget {
  readonly uid: string;
  /** `namespace/name`, for logs. */
  readonly key: string;
  readonly pod: corev1.Pod;
  /** False until the first mount in this process looked for tokens on disk. */
  adoptionChecked: boolean;
  /** The `jti`s of the token metadata written for each volume, to skip rewriting an identical file. */
  readonly metadataWritten: Map<string, string>;
}

/** What {@link VolumeMounter.mount} found; the caller records it before acting on `refreshError`. */
export interface MountResult {
  /** When the earliest token of the pod is due for refresh (undefined: no token). */
  readonly refreshAt: number | undefined;
  /** Set when a refresh failed and a still valid cached token was written instead. */
  readonly refreshError: unknown;
}

const serviceAccountOf = (pod: corev1.Pod) => pod.spec?.serviceAccountName || "default";

/**
 * Writes a small file atomically (temporary file + rename), making its directory first when asked;
 * synchronous calls, as the atomic writer's.
 */
function writeFileAtomic(file: string, text: string, makeDir: boolean): void {
  if (makeDir) mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Writes pods' projected volumes. */
export class VolumeMounter {
  readonly #o: VolumeMounterOptions;
  #chownWarned = false;
  /**
   * Tokens adopted from disk, beside the counter metric: prom-client reads are asynchronous and the
   * start-up log wants the number at once.
   */
  #tokensAdopted = 0;

  constructor(options: VolumeMounterOptions) {
    this.#o = options;
  }

  /** Tokens cached again from disk (restart re-adoption) since this mounter was made. */
  tokensAdopted(): number {
    return this.#tokensAdopted;
  }

  /** Fetches the tokens (cached or new) and writes every projected volume of the pod. */
  async mount(entry: MountTarget, reason: "mount" | "refresh" | "resync"): Promise<MountResult> {
    const { clock, tokens, metrics, rootDir } = this.#o;
    const pod = entry.pod;
    const ns = pod.metadata?.namespace ?? "";
    const sa = serviceAccountOf(pod);
    const volumes = projectedVolumesOf(pod);
    if (!entry.adoptionChecked) {
      await this.#adopt(entry);
      entry.adoptionChecked = true;
    }
    let refreshError: unknown;
    let earliestDue: number | undefined;
    for (const volume of volumes) {
      const texts = new Map<number, string>();
      const records: TokenRecord[] = [];
      let fetched = false;
      for (const source of tokenSourcesOf(volume)) {
        const spec = tokenSpecFor(pod, source.projection);
        const dueBefore = tokens.refreshDueAt(ns, sa, spec);
        const result = await tokens.getServiceAccountToken(ns, sa, spec);
        if (result.fetched && dueBefore !== undefined) {
          metrics.tokenRefreshLag.observe({}, Math.max(0, clock.now() - dueBefore) / 1000);
        }
        if (result.fetched) fetched = true;
        if (result.refreshError !== undefined) refreshError ??= result.refreshError;
        const request = result.token.request;
        texts.set(source.index, request.status.token);
        const record = tokenRecord(source.projection.path, ns, sa, spec, request);
        if (record !== undefined) records.push(record);
        const due = refreshDueAt(request, result.token.jitterSeconds);
        if (due !== undefined) earliestDue = earliestDue === undefined ? due : Math.min(earliestDue, due);
      }
      const configMaps = new Map<string, corev1.ConfigMap | undefined>();
      const secrets = new Map<string, corev1.Secret | undefined>();
      for (const s of volume.volumeSource?.projected?.sources ?? []) {
        const cm = s.configMap?.localObjectReference?.name;
        if (cm !== undefined && !configMaps.has(cm)) configMaps.set(cm, await this.#configMap(ns, cm));
        const sec = s.secret?.localObjectReference?.name;
        if (sec !== undefined && !secrets.has(sec)) secrets.set(sec, await this.#secret(ns, sec));
      }
      const projected = projectVolume(pod, volume, {
        token: (i) => texts.get(i) ?? "",
        configMap: (n) => configMaps.get(n),
        secret: (n) => secrets.get(n),
        nodeAllocatable: this.#o.behaviour.node.allocatable,
      });
      if ("error" in projected) {
        throw new KubeletSimError(
          "ERR_VOLUME",
          `MountVolume.SetUp failed for volume "${volume.name}" : ${projected.error}`,
        );
      }
      const fsGroup = fsGroupFrom(pod);
      const payloadHasOwners = [...projected.payload.values()].some(
        (f) => f.uid !== undefined || f.gid !== undefined,
      );
      if (payloadHasOwners && !this.#o.chown && !this.#chownWarned) {
        this.#chownWarned = true;
        this.#o.log.warn("not running as root: file owners (runAsUser, fsGroup) are not applied; modes are");
      }
      const written = writeAtomically(
        projectedVolumeDir(rootDir, entry.uid, volume.name),
        projected.payload,
        {
          now: clock.now(),
          chown: this.#o.chown,
          // A token fetched for a volume this process wrote before is a new token: no need to compare.
          changed: fetched && entry.metadataWritten.has(volume.name),
          ...(fsGroup === undefined ? {} : { fsGroup }),
        },
      );
      if (written.written) metrics.volumeWrites.inc({ reason });
      if (records.length > 0) {
        const memo = records.map((r) => r.jti).join(",");
        if (entry.metadataWritten.get(volume.name) !== memo) {
          writeFileAtomic(
            tokenMetadataPath(rootDir, entry.uid, volume.name),
            encodeTokenMetadata(records),
            // The directory exists once a metadata file was written (or found) for the volume.
            !entry.metadataWritten.has(volume.name),
          );
          entry.metadataWritten.set(volume.name, memo);
        }
      }
    }
    return { refreshAt: earliestDue, refreshError };
  }

  /** First mount in this process: caches the tokens still on disk (restart re-adoption). */
  async #adopt(entry: MountTarget): Promise<void> {
    const { rootDir, tokens, clock, log, metrics } = this.#o;
    const pod = entry.pod;
    const ns = pod.metadata?.namespace ?? "";
    const sa = serviceAccountOf(pod);
    for (const volume of projectedVolumesOf(pod)) {
      let text: string;
      try {
        text = readFileSync(tokenMetadataPath(rootDir, entry.uid, volume.name), "utf8");
      } catch {
        continue; // nothing on disk: a new pod
      }
      const decoded = decodeTokenMetadata(text);
      if ("error" in decoded) {
        log.warn(
          { pod: entry.key, volume: volume.name, error: decoded.error },
          "unreadable token metadata; tokens will be requested",
        );
        continue;
      }
      const dir = projectedVolumeDir(rootDir, entry.uid, volume.name);
      for (const record of decoded.value.tokens) {
        const source = tokenSourcesOf(volume).find((s) => s.projection.path === record.path);
        if (source === undefined) continue;
        let onDisk: string;
        try {
          onDisk = readFileSync(path.join(dir, DATA_DIR_NAME, record.path), "utf8");
        } catch {
          continue;
        }
        const spec = tokenSpecFor(pod, source.projection);
        const result = adoptToken(
          record,
          onDisk,
          { namespace: ns, serviceAccountName: sa, spec },
          clock.now(),
        );
        if ("refused" in result) {
          log.debug(
            { pod: entry.key, volume: volume.name, path: record.path, refused: result.refused },
            "token on disk not adopted",
          );
          continue;
        }
        tokens.adopt(ns, sa, spec, result.request);
        metrics.tokensAdopted.inc();
        this.#tokensAdopted++;
      }
      entry.metadataWritten.set(volume.name, decoded.value.tokens.map((r) => r.jti).join(","));
    }
  }

  async #configMap(namespace: string, name: string): Promise<corev1.ConfigMap | undefined> {
    return (
      this.#o.configMap(namespace, name) ??
      (await this.#o.apiLimiter.run(() => this.#o.api.getConfigMap(namespace, name)))
    );
  }

  async #secret(namespace: string, name: string): Promise<corev1.Secret | undefined> {
    return (
      this.#o.secret(namespace, name) ??
      (await this.#o.apiLimiter.run(() => this.#o.api.getSecret(namespace, name)))
    );
  }
}
