/**
 * The content of a projected volume, as the kubelet's projected volume plugin collects it
 * (pkg/volume/projected/projected.go `collectData`, with configmap/secret `MakePayload` and
 * downwardapi `CollectData`): one file per item, later sources overwriting earlier ones, modes and
 * ownership per `file-modes.ts`. Pure: tokens, ConfigMaps and Secrets are handed in.
 */
import type { corev1 } from "@tokenplane/proto";
import type { TokenSpec } from "../tokens/refresh-rules.js";
import { fieldRefValue, resourceFieldRefValue } from "./downward-api.js";
import {
  DEFAULT_PROJECTED_MODE,
  finalFileMode,
  fsGroupFrom,
  fsUserFrom,
  tokenFileMode,
} from "./file-modes.js";

/** One file of a volume: its bytes, final mode and owner (undefined = leave as created). */
export interface FileProjection {
  readonly data: Uint8Array;
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
}

/** A volume's files by relative path (`token`, `ca.crt`, `dir/file`). */
export type Payload = ReadonlyMap<string, FileProjection>;

/** A `serviceAccountToken` source of a projected volume, with its position among the sources. */
export interface TokenSource {
  readonly index: number;
  readonly projection: corev1.ServiceAccountTokenProjection;
}

/** What {@link projectVolume} reads besides the pod. */
export interface ProjectionInputs {
  /** The token fetched for the source at `index`. */
  token(index: number): string;
  /** The ConfigMap of the pod's namespace, undefined when it does not exist. */
  configMap(name: string): corev1.ConfigMap | undefined;
  /** The Secret of the pod's namespace, undefined when it does not exist. */
  secret(name: string): corev1.Secret | undefined;
  /** The node's allocatable resources (`resourceFieldRef` of unset limits). */
  readonly nodeAllocatable: Readonly<Record<string, string>>;
}

const encoder = new TextEncoder();

/** The volume's `serviceAccountToken` sources. */
export function tokenSourcesOf(volume: corev1.Volume): TokenSource[] {
  const out: TokenSource[] = [];
  (volume.volumeSource?.projected?.sources ?? []).forEach((source, index) => {
    if (source.serviceAccountToken !== undefined) out.push({ index, projection: source.serviceAccountToken });
  });
  return out;
}

/** The pod's projected volumes (the only kind this simulator writes). */
export function projectedVolumesOf(pod: corev1.Pod): corev1.Volume[] {
  return (pod.spec?.volumes ?? []).filter((v) => v.volumeSource?.projected !== undefined);
}

/**
 * The TokenRequest spec the kubelet sends for a token source: audiences `[audience]` or nil,
 * the source's expirationSeconds (defaulted to 3600 by the apiserver), bound to the pod.
 */
export function tokenSpecFor(pod: corev1.Pod, projection: corev1.ServiceAccountTokenProjection): TokenSpec {
  const seconds = projection.expirationSeconds;
  return {
    ...(projection.audience === "" ? {} : { audiences: [projection.audience] }),
    ...(seconds === undefined ? {} : { expirationSeconds: Number(seconds) }),
    boundObjectRef: {
      apiVersion: "v1",
      kind: "Pod",
      name: pod.metadata?.name ?? "",
      uid: pod.metadata?.uid ?? "",
    },
  };
}

/** `utilerrors.NewAggregate(errs).Error()`: one message as is, several as `[a, b]`. */
export function aggregateErrors(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]`;
}

/**
 * Collects the files of a projected volume. Missing ConfigMaps/Secrets (unless `optional`) and
 * missing keys are errors with the kubelet's texts; all errors are reported together, and a volume
 * with any error is not written (its pod keeps waiting, retried with back-off).
 */
export function projectVolume(
  pod: corev1.Pod,
  volume: corev1.Volume,
  inputs: ProjectionInputs,
): { payload: Payload } | { error: string } {
  const projected = volume.volumeSource?.projected;
  if (projected === undefined) return { error: `volume ${volume.name} is not a projected volume` };
  const defaultMode = projected.defaultMode ?? DEFAULT_PROJECTED_MODE;
  const fsUser = fsUserFrom(pod);
  const fsGroup = fsGroupFrom(pod);
  const payload = new Map<string, FileProjection>();
  const errors: string[] = [];
  const put = (path: string, data: Uint8Array, mode: number, uid?: number) => {
    payload.set(path, {
      data,
      mode: finalFileMode(mode, fsGroup),
      ...(uid === undefined ? {} : { uid }),
      ...(fsGroup === undefined ? {} : { gid: fsGroup }),
    });
  };

  projected.sources.forEach((source, index) => {
    if (source.secret !== undefined) {
      const s = source.secret;
      const name = s.localObjectReference?.name ?? "";
      const optional = s.optional === true;
      const secret = inputs.secret(name);
      if (secret === undefined && !optional) {
        errors.push(`secrets "${name}" not found`);
        return;
      }
      const data = secret?.data ?? {};
      if (s.items.length === 0) {
        for (const [key, value] of Object.entries(data)) put(key, value, defaultMode);
        return;
      }
      for (const item of s.items) {
        const value = data[item.key];
        if (value === undefined) {
          if (!optional) {
            errors.push(`references non-existent secret key: ${item.key}`);
            return;
          }
          continue;
        }
        put(item.path, value, item.mode ?? defaultMode);
      }
    } else if (source.configMap !== undefined) {
      const c = source.configMap;
      const name = c.localObjectReference?.name ?? "";
      const optional = c.optional === true;
      const configMap = inputs.configMap(name);
      if (configMap === undefined && !optional) {
        errors.push(`configmaps "${name}" not found`);
        return;
      }
      const data = configMap?.data ?? {};
      const binary = configMap?.binaryData ?? {};
      if (c.items.length === 0) {
        for (const [key, value] of Object.entries(data)) put(key, encoder.encode(value), defaultMode);
        for (const [key, value] of Object.entries(binary)) put(key, value, defaultMode);
        return;
      }
      for (const item of c.items) {
        const text = data[item.key];
        const bytes = text === undefined ? binary[item.key] : encoder.encode(text);
        if (bytes === undefined) {
          if (!optional) {
            errors.push(`configmap references non-existent config key: ${item.key}`);
            return;
          }
          continue;
        }
        put(item.path, bytes, item.mode ?? defaultMode);
      }
    } else if (source.downwardAPI !== undefined) {
      for (const item of source.downwardAPI.items) {
        const result =
          item.fieldRef !== undefined
            ? fieldRefValue(pod, item.fieldRef.fieldPath)
            : item.resourceFieldRef !== undefined
              ? resourceFieldRefValue(pod, item.resourceFieldRef, inputs.nodeAllocatable)
              : { error: `downward API item ${item.path} has neither fieldRef nor resourceFieldRef` };
        if ("error" in result) {
          errors.push(result.error);
          continue;
        }
        put(item.path, encoder.encode(result.value), item.mode ?? defaultMode);
      }
    } else if (source.serviceAccountToken !== undefined) {
      // The token is 0600 (owned by the fsUser) when a fsUser or fsGroup is set (projected.go).
      put(
        source.serviceAccountToken.path,
        encoder.encode(inputs.token(index)),
        tokenFileMode(defaultMode, fsUser, fsGroup),
        fsUser,
      );
    }
  });
  return errors.length > 0 ? { error: aggregateErrors(errors) } : { payload };
}
