/**
 * Volume validation of pkg/apis/core/validation/validation.go for the sources tokenplane models
 * (emptyDir, hostPath, secret, configMap, downwardAPI, projected), with Kubernetes' paths and
 * texts, including the projected serviceAccountToken rules of reference §2.3 (and Kubernetes'
 * quirk of reporting the token path under `<volume>.projected.path`).
 */
import { type FieldError, type FieldPath, fieldError, isDNS1123Label } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";

/** Minimum projected token lifetime (10 minutes, reference §0 MinTokenAgeSec). */
export const minProjectedTokenSeconds = 600n;

/** Settings of pod validation that the apiserver's flags may change. */
export interface PodValidationOptions {
  /**
   * Shortest projected token lifetime accepted, seconds; default {@link minProjectedTokenSeconds}.
   * Only `--service-account-token-min-expiration` (a test-only flag) lowers it.
   */
  minProjectedTokenSeconds?: bigint;
}

/** Kubernetes' text for the 10 minute floor; a lowered floor (tests) names its own value. */
export function durationFloorText(seconds: bigint): string {
  return seconds === 600n
    ? "may not specify a duration less than 10 minutes"
    : `may not specify a duration less than ${seconds} seconds`;
}
/** Maximum projected token lifetime: 2^32 seconds, inclusive. */
export const maxProjectedTokenSeconds = 1n << 32n;

const fileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive";
const hostPathTypes = [
  "",
  "DirectoryOrCreate",
  "Directory",
  "FileOrCreate",
  "File",
  "Socket",
  "CharDevice",
  "BlockDevice",
];
const downwardVolumeFieldPaths = [
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
];

/** `validatePathNoBacksteps`: no `..` element (one error is enough). */
function noBacksteps(path: string, fld: FieldPath): FieldError[] {
  return path.split("/").includes("..") ? [fieldError.invalid(fld, path, "must not contain '..'")] : [];
}

/** `ValidateLocalNonReservedPath`: relative, no `..` element, not starting with `..`. */
export function validateLocalNonReservedPath(path: string, fld: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (path.startsWith("/")) errs.push(fieldError.invalid(fld, path, "must be a relative path"));
  errs.push(...noBacksteps(path, fld));
  // Reported only when the `..` element check has not already caught it.
  if (path.startsWith("..") && !path.startsWith("../"))
    errs.push(fieldError.invalid(fld, path, "must not start with '..'"));
  return errs;
}

function validateMode(mode: number | undefined, fld: FieldPath): FieldError[] {
  return mode !== undefined && (mode < 0 || mode > 0o777)
    ? [fieldError.invalid(fld, mode, fileModeErrorMsg)]
    : [];
}

/** `validateKeyToPath`. */
function validateKeyToPath(kp: corev1.KeyToPath, fld: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!kp.key) errs.push(fieldError.required(fld.child("key")));
  if (!kp.path) errs.push(fieldError.required(fld.child("path")));
  errs.push(...validateLocalNonReservedPath(kp.path, fld.child("path")));
  errs.push(...validateMode(kp.mode, fld.child("mode")));
  return errs;
}

/** `validateDownwardAPIVolumeFile` (fieldRef only; resourceFieldRef is accepted as given). */
function validateDownwardFile(file: corev1.DownwardAPIVolumeFile, fld: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!file.path) errs.push(fieldError.required(fld.child("path")));
  errs.push(...validateLocalNonReservedPath(file.path, fld.child("path")));
  if (file.fieldRef) {
    const ref = file.fieldRef;
    const refPath = fld.child("fieldRef");
    if (!ref.apiVersion) errs.push(fieldError.required(refPath.child("apiVersion")));
    else if (!ref.fieldPath) errs.push(fieldError.required(refPath.child("fieldPath")));
    else {
      const bare = ref.fieldPath.replace(/\[.*\]$/, "");
      if (!downwardVolumeFieldPaths.includes(bare)) {
        errs.push(fieldError.notSupported(refPath.child("fieldPath"), bare, downwardVolumeFieldPaths));
      }
    }
    if (file.resourceFieldRef) {
      errs.push(
        fieldError.invalid(
          fld,
          "resource",
          "fieldRef and resourceFieldRef can not be specified simultaneously",
        ),
      );
    }
  } else if (!file.resourceFieldRef) {
    errs.push(fieldError.required(fld, "one of fieldRef and resourceFieldRef is required"));
  }
  errs.push(...validateMode(file.mode, fld.child("mode")));
  return errs;
}

/** `validateProjectionSources`; `fld` is the volume's `projected` path. */
function validateProjectionSources(
  projected: corev1.ProjectedVolumeSource,
  fld: FieldPath,
  opts: PodValidationOptions,
): FieldError[] {
  const minSeconds = opts.minProjectedTokenSeconds ?? minProjectedTokenSeconds;
  const errs: FieldError[] = [];
  const allPaths = new Set<string>();
  const claim = (path: string, value: string) => {
    if (!path) return;
    if (allPaths.has(path)) errs.push(fieldError.invalid(fld, value, "conflicting duplicate paths"));
    allPaths.add(path);
  };
  projected.sources.forEach((source, i) => {
    let count = 0;
    const srcPath = fld.child("sources").index(i);
    for (const [kind, src] of [
      ["secret", source.secret],
      ["configMap", source.configMap],
    ] as const) {
      if (!src) continue;
      count++;
      const p = srcPath.child(kind);
      const name = src.localObjectReference?.name ?? "";
      if (!name) errs.push(fieldError.required(p.child("name")));
      src.items.forEach((kp, j) => {
        errs.push(...validateKeyToPath(kp, p.child("items").index(j)));
        claim(kp.path, name);
      });
    }
    if (source.downwardAPI) {
      count++;
      const p = srcPath.child("downwardAPI");
      for (const file of source.downwardAPI.items) {
        errs.push(...validateDownwardFile(file, p));
        claim(file.path, file.path);
      }
    }
    if (source.serviceAccountToken) {
      count++;
      const tok = source.serviceAccountToken;
      const p = srcPath.child("serviceAccountToken");
      const seconds = tok.expirationSeconds ?? 0n;
      // Reference §2.3: the same 10 minute / 2^32 s bounds as TokenRequest.
      if (seconds < minSeconds) {
        errs.push(fieldError.invalid(p.child("expirationSeconds"), seconds, durationFloorText(minSeconds)));
      }
      if (seconds > maxProjectedTokenSeconds) {
        errs.push(
          fieldError.invalid(
            p.child("expirationSeconds"),
            seconds,
            "may not specify a duration larger than 2^32 seconds",
          ),
        );
      }
      // Kubernetes reports the token path under the volume's projected path, not the source's.
      if (!tok.path) errs.push(fieldError.required(fld.child("path")));
      else errs.push(...validateLocalNonReservedPath(tok.path, fld.child("path")));
    }
    if (count > 1)
      errs.push(fieldError.forbidden(srcPath, "may not specify more than 1 volume type per source"));
  });
  return errs;
}

/** `validateVolumeSource`: exactly one source, each source's own rules. */
function validateVolumeSource(
  src: corev1.VolumeSource | undefined,
  fld: FieldPath,
  opts: PodValidationOptions,
): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  const one = (name: string, present: boolean, check: () => FieldError[]) => {
    if (!present) return;
    if (count > 0) {
      errs.push(fieldError.forbidden(fld.child(name), "may not specify more than 1 volume type"));
      return;
    }
    count++;
    errs.push(...check());
  };
  // Kubernetes' order of sources, restricted to the modelled ones.
  one("emptyDir", !!src?.emptyDir, () => []);
  one("hostPath", !!src?.hostPath, () => {
    const hp = src!.hostPath!;
    const p = fld.child("hostPath");
    const out: FieldError[] = [];
    if (!hp.path) out.push(fieldError.required(p.child("path")));
    out.push(...noBacksteps(hp.path, p.child("path")));
    if (hp.type !== undefined && !hostPathTypes.includes(hp.type)) {
      out.push(fieldError.notSupported(p.child("type"), hp.type, hostPathTypes));
    }
    return out;
  });
  one("secret", !!src?.secret, () => {
    const s = src!.secret!;
    const p = fld.child("secret");
    const out: FieldError[] = [];
    if (!s.secretName) out.push(fieldError.required(p.child("secretName")));
    out.push(...validateMode(s.defaultMode, p.child("defaultMode")));
    out.push(...s.items.flatMap((kp, j) => validateKeyToPath(kp, p.child("items").index(j))));
    return out;
  });
  one("downwardAPI", !!src?.downwardAPI, () => {
    const d = src!.downwardAPI!;
    const p = fld.child("downwardAPI");
    return [
      ...validateMode(d.defaultMode, p.child("defaultMode")),
      ...d.items.flatMap((f) => validateDownwardFile(f, p)),
    ];
  });
  one("configMap", !!src?.configMap, () => {
    const c = src!.configMap!;
    const p = fld.child("configMap");
    const out: FieldError[] = [];
    if (!c.localObjectReference?.name) out.push(fieldError.required(p.child("name")));
    out.push(...validateMode(c.defaultMode, p.child("defaultMode")));
    out.push(...c.items.flatMap((kp, j) => validateKeyToPath(kp, p.child("items").index(j))));
    return out;
  });
  one("projected", !!src?.projected, () => {
    const pr = src!.projected!;
    const p = fld.child("projected");
    return [
      ...validateMode(pr.defaultMode, p.child("defaultMode")),
      ...validateProjectionSources(pr, p, opts),
    ];
  });
  if (count === 0) errs.push(fieldError.required(fld, "must specify a volume type"));
  return errs;
}

/** `ValidateVolumes`: each source, then the name (required, DNS label, unique). Returns the names. */
export function validateVolumes(
  volumes: readonly corev1.Volume[],
  fld: FieldPath,
  opts: PodValidationOptions = {},
): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const p = fld.index(i);
    errs.push(...validateVolumeSource(v.volumeSource, p, opts));
    const namePath = p.child("name");
    if (!v.name) errs.push(fieldError.required(namePath));
    else for (const msg of isDNS1123Label(v.name)) errs.push(fieldError.invalid(namePath, v.name, msg));
    if (names.has(v.name)) errs.push(fieldError.duplicate(namePath, v.name));
    else names.add(v.name);
  });
  return { errs, names };
}
