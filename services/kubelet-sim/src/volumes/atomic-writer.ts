/**
 * The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): a volume's files are written into
 * a fresh timestamped directory `..2006_01_02_15_04_05.<random>`, the `..data` symlink is pointed
 * at it by creating `..data_tmp` and renaming it over `..data` (rename is atomic), and each
 * user-visible top-level name is a symlink into `..data/`. A reader that opens `token` therefore
 * gets the old file or the new one, never a half-written one. Paths that disappeared from the
 * payload are removed, then the old timestamped directory.
 *
 * Nothing is written when the payload equals what is on disk (content, mode, owner), as the kubelet
 * skips unchanged writes. The file calls are synchronous: a volume is a few small files, and
 * synchronous calls cost a fraction of the CPU of `fs/promises` ones (no thread-pool hop, no
 * promise per call), which is what bounds a process that rewrites hundreds of volumes a second;
 * the event loop is held for tens of microseconds per write. Ownership (chown) is applied only when the process runs as root;
 * otherwise it is skipped and `onChownSkipped` is called (the caller logs it once).
 */
import {
  chmodSync,
  chownSync,
  type Dirent,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { KubeletSimError } from "../errors.js";
import { finalDirMode } from "./file-modes.js";
import type { FileProjection, Payload } from "./projection.js";

/** Name of the symlink to the current data directory. */
export const DATA_DIR_NAME = "..data";
/** Name of the symlink made and renamed over {@link DATA_DIR_NAME}. */
export const NEW_DATA_DIR_NAME = "..data_tmp";
/** Longest file name in a payload path (`maxFileNameLength`). */
export const MAX_FILE_NAME_LENGTH = 255;
/** Longest payload path (`maxPathLength`). */
export const MAX_PATH_LENGTH = 4096;

/** Options of {@link writeAtomically}. */
export interface AtomicWriteOptions {
  /** Time used to name the timestamped directory, milliseconds since the epoch. */
  readonly now: number;
  /** Apply the payload's uid/gid (only possible as root). */
  readonly chown: boolean;
  /** The volume's fsGroup: directories get it as group, setgid and group read/execute. */
  readonly fsGroup?: number;
  /**
   * The caller knows the payload differs from what is on disk (a token was just refreshed): skip
   * reading the old files to compare. Default false.
   */
  readonly changed?: boolean;
}

/** What a write did. */
export interface AtomicWriteResult {
  /** False when the payload was already on disk. */
  readonly written: boolean;
  /** The timestamped directory `..data` points at now (its name). */
  readonly dataDir: string;
}

/**
 * `validatePath`: payload paths must be relative, without `..` elements, not starting with `..`,
 * not empty, at most 4096 characters with names of at most 255. Texts are the kubelet's.
 */
export function validatePayloadPath(p: string): string | undefined {
  if (p === "") return `invalid path: must not be empty: ""`;
  if (path.posix.isAbsolute(p)) return `invalid path: must be relative path: ${p}`;
  if (p.length > MAX_PATH_LENGTH)
    return `invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`;
  const items = p.split("/");
  for (const item of items) {
    if (item === "..") return `invalid path: must not contain '..': ${p}`;
    if (item.length > MAX_FILE_NAME_LENGTH) {
      return `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`;
    }
  }
  if (items[0]!.startsWith("..") && items[0]!.length > 2)
    return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

/** `..2006_01_02_15_04_05.` for a time (UTC), the prefix `mkdtemp` completes. */
export function timestampDirPrefix(now: number): string {
  const d = new Date(now);
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `..${d.getUTCFullYear()}_${p2(d.getUTCMonth() + 1)}_${p2(d.getUTCDate())}_${p2(d.getUTCHours())}_${p2(d.getUTCMinutes())}_${p2(d.getUTCSeconds())}.`;
}

/** The user-visible top-level names of a payload (`dir/file` → `dir`). */
function topLevelNames(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) out.add(p.split("/")[0]!);
  return out;
}

/** The files under a directory, relative paths, recursively. */
function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(path.join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out;
}

/** True when the files in `dataDir` are exactly the payload (content, mode and, with chown, owner). */
function sameAsOnDisk(dataDir: string, payload: Payload, checkOwner: boolean): boolean {
  let existing: string[];
  try {
    existing = listFiles(dataDir);
  } catch {
    return false;
  }
  if (existing.length !== payload.size) return false;
  for (const rel of existing) {
    const want = payload.get(rel);
    if (want === undefined) return false;
    const file = path.join(dataDir, rel);
    const st = statSync(file);
    const content = readFileSync(file);
    if ((st.mode & 0o7777) !== want.mode || !content.equals(want.data)) return false;
    if (
      checkOwner &&
      ((want.uid !== undefined && st.uid !== want.uid) || (want.gid !== undefined && st.gid !== want.gid))
    ) {
      return false;
    }
  }
  return true;
}

/** The process umask, read once: a mode it would not change needs no explicit chmod. */
let umask: number | undefined;
function modeSurvivesUmask(mode: number): boolean {
  // process.umask() without an argument only reads it (documentation-only deprecation DEP0139).
  umask ??= process.umask();
  return mode <= 0o777 && (mode & ~umask) === mode;
}

function writeOne(file: string, f: FileProjection, doChown: boolean): void {
  writeFileSync(file, f.data, { mode: f.mode });
  // writeFile's mode is filtered by the umask; chmod when that changed it (the kubelet chmods too).
  if (!modeSurvivesUmask(f.mode)) chmodSync(file, f.mode);
  if (doChown && (f.uid !== undefined || f.gid !== undefined)) chownSync(file, f.uid ?? -1, f.gid ?? -1);
}

/** The target of `..data`, or undefined when there is none yet. */
export function currentDataDir(targetDir: string): string | undefined {
  try {
    return readlinkSync(path.join(targetDir, DATA_DIR_NAME));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Writes `payload` into `targetDir` atomically (see the module comment). Throws
 * ERR_PAYLOAD_PATH for a disallowed path; file system errors are thrown as they come.
 */
export function writeAtomically(
  targetDir: string,
  payload: Payload,
  options: AtomicWriteOptions,
): AtomicWriteResult {
  for (const p of payload.keys()) {
    const problem = validatePayloadPath(p);
    if (problem !== undefined) throw new KubeletSimError("ERR_PAYLOAD_PATH", problem);
  }
  // What is there: the `..data` link and the user-visible names (symlinks), one readdir.
  let entries: Dirent[];
  try {
    entries = readdirSync(targetDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    mkdirSync(targetDir, { recursive: true, mode: 0o750 });
    entries = [];
  }
  const hasData = entries.some((e) => e.name === DATA_DIR_NAME);
  const oldDataDir = hasData ? currentDataDir(targetDir) : undefined;
  if (
    oldDataDir !== undefined &&
    options.changed !== true &&
    sameAsOnDisk(path.join(targetDir, oldDataDir), payload, options.chown)
  ) {
    return { written: false, dataDir: oldDataDir };
  }
  const oldNames = new Map(
    entries.filter((e) => !e.name.startsWith("..")).map((e) => [e.name, e.isSymbolicLink()]),
  );

  // 1. The new timestamped directory with every file.
  const tsDirPath = mkdtempSync(path.join(targetDir, timestampDirPrefix(options.now)));
  const tsDir = path.basename(tsDirPath);
  const dirMode = finalDirMode(options.fsGroup);
  const doChown = options.chown;
  const setDir = (dir: string) => {
    chmodSync(dir, dirMode);
    if (doChown && options.fsGroup !== undefined) chownSync(dir, -1, options.fsGroup);
  };
  setDir(tsDirPath);
  const made = new Set<string>();
  for (const [rel, f] of payload) {
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const sub = parts.slice(0, i).join("/");
      if (made.has(sub)) continue;
      made.add(sub);
      mkdirSync(path.join(tsDirPath, sub), { recursive: true });
      setDir(path.join(tsDirPath, sub));
    }
    writeOne(path.join(tsDirPath, rel), f, doChown);
  }

  // 2. Swap `..data` with a rename, so readers switch in one step.
  const tmpLink = path.join(targetDir, NEW_DATA_DIR_NAME);
  try {
    symlinkSync(tsDir, tmpLink);
  } catch (err) {
    // Left over from a write that was interrupted.
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    rmSync(tmpLink, { force: true });
    symlinkSync(tsDir, tmpLink);
  }
  renameSync(tmpLink, path.join(targetDir, DATA_DIR_NAME));

  // 3. User-visible names: a symlink `<name>` → `..data/<name>` for each top-level name.
  const newNames = topLevelNames(payload.keys());
  for (const name of newNames) {
    const isLink = oldNames.get(name);
    if (isLink === true) continue; // already `name -> ..data/name`
    const link = path.join(targetDir, name);
    if (isLink === false) rmSync(link, { recursive: true, force: true });
    symlinkSync(path.posix.join(DATA_DIR_NAME, name), link);
  }

  // 4. Names that left the payload, then the old data directory.
  for (const name of oldNames.keys()) {
    if (!newNames.has(name)) rmSync(path.join(targetDir, name), { force: true, recursive: true });
  }
  if (oldDataDir !== undefined && oldDataDir !== tsDir) {
    rmSync(path.join(targetDir, oldDataDir), { recursive: true, force: true });
  }
  return { written: true, dataDir: tsDir };
}

/** True when the process can change file owners (runs as root). */
export function canChown(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}
