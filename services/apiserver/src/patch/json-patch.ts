/**
 * `application/json-patch+json` (RFC 6902), with the behaviour of the library the Kubernetes
 * apiserver applies it with (gopkg.in/evanphx/json-patch.v4):
 *
 * - operations `add`, `remove`, `replace`, `move`, `copy`, `test`; JSON Pointer `~0`/`~1`
 *   escaping; `-` appends to an array; negative array indices count from the end;
 * - `replace` of a member an object does not have adds it (v4 does not check);
 * - `test` of an absent member against `null` succeeds.
 *
 * Errors, as the apiserver reports them: a body that is not a list of operations is 400 BadRequest
 * with Go's decoding text; more than 10000 operations is 413; an operation that does not apply is
 * 422 `the server rejected our request due to an error in our request` (Kubernetes' words: the
 * library's detail does not reach the Status). tokenplane adds that detail — which op, which path,
 * why — as a `Warning`, so `kubectl patch` users can see what failed.
 */
import { type JsonObject, type JsonValue, newBadRequest, StatusError } from "@tokenplane/apimachinery";

/** Kubernetes' limit on the operations of one JSON patch (`maxJSONPatchOperations`). */
export const maxJsonPatchOperations = 10000;

/** One decoded operation (members other than op/path/from/value are ignored). */
export interface JsonPatchOperation {
  op: string;
  path?: string;
  from?: string;
  value?: JsonValue;
}

class PatchOpError extends Error {}

/** `errors.Wrapf(cause, msg)`: "msg: cause". */
const wrap = (msg: string, cause: string) => new PatchOpError(`${msg}: ${cause}`);
const MISSING = "missing value";
const INVALID_INDEX = "invalid index referenced";
const TEST_FAILED = "test failed";

/**
 * Applies RFC 6902 operations to a copy of `doc`. `ops` is the decoded request body (validated
 * here: it must be a list of objects). Throws `StatusError`.
 */
export function applyJsonPatch(doc: JsonObject, ops: JsonValue): JsonObject {
  const operations = decodePatch(ops);
  if (operations.length > maxJsonPatchOperations) {
    throw new StatusError({
      reason: "RequestEntityTooLarge",
      code: 413,
      message: `Request entity too large: The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${operations.length}`,
    });
  }
  const root: { doc: JsonValue } = { doc: structuredClone(doc) };
  for (const op of operations) {
    try {
      applyOne(root, op);
    } catch (err) {
      if (!(err instanceof PatchOpError)) throw err;
      throw new StatusError(
        {
          reason: "Invalid",
          code: 422,
          message: "the server rejected our request due to an error in our request",
          details: {},
        },
        [`json patch: ${err.message}`],
      );
    }
  }
  return root.doc as JsonObject;
}

function decodePatch(ops: JsonValue): JsonPatchOperation[] {
  if (!Array.isArray(ops)) {
    throw newBadRequest(`json: cannot unmarshal ${goJsonType(ops)} into Go value of type jsonpatch.Patch`);
  }
  return ops.map((o) => {
    if (o === null || typeof o !== "object" || Array.isArray(o)) {
      if (o === null) return { op: "unknown" };
      throw newBadRequest(
        `json: cannot unmarshal ${goJsonType(o)} into Go value of type jsonpatch.Operation`,
      );
    }
    const op: JsonPatchOperation = { op: typeof o.op === "string" ? o.op : "unknown" };
    if (typeof o.path === "string") op.path = o.path;
    if (typeof o.from === "string") op.from = o.from;
    if ("value" in o) op.value = o.value as JsonValue;
    return op;
  });
}

function goJsonType(v: JsonValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

/** A place in the document: an object or array and the (decoded) key in it. */
type Container = { kind: "doc"; obj: JsonObject } | { kind: "ary"; arr: JsonValue[] };

function applyOne(root: { doc: JsonValue }, op: JsonPatchOperation): void {
  switch (op.op) {
    case "add": {
      const path = requirePath(op);
      const [con, key] = findObject(root.doc, path);
      if (!con) throw wrap(`add operation does not apply: doc is missing path: "${path}"`, MISSING);
      addAt(con, key, opValue(op), `error in add for path: '${path}'`);
      return;
    }
    case "remove": {
      const path = requirePath(op);
      const [con, key] = findObject(root.doc, path);
      if (!con) throw wrap(`remove operation does not apply: doc is missing path: "${path}"`, MISSING);
      removeAt(con, key, `error in remove for path: '${path}'`);
      return;
    }
    case "replace": {
      const path = requirePath(op);
      const [con, key] = findObject(root.doc, path);
      if (!con) throw wrap(`replace operation does not apply: doc is missing path: ${path}`, MISSING);
      getOr(con, key, () => wrap(`replace operation does not apply: doc is missing key: ${path}`, MISSING));
      setAt(con, key, opValue(op), `error in remove for path: '${path}'`);
      return;
    }
    case "move": {
      const from = requireFrom(op);
      const [src, srcKey] = findObject(root.doc, from);
      if (!src) throw wrap(`move operation does not apply: doc is missing from path: ${from}`, MISSING);
      const val = getOr(src, srcKey, (m) => wrap(`error in move for path: '${srcKey}'`, m));
      removeAt(src, srcKey, `error in move for path: '${srcKey}'`);
      const path = requirePath(op);
      const [dst, dstKey] = findObject(root.doc, path);
      if (!dst)
        throw wrap(`move operation does not apply: doc is missing destination path: ${path}`, MISSING);
      addAt(dst, dstKey, val ?? null, `error in move for path: '${path}'`);
      return;
    }
    case "copy": {
      const from = requireFrom(op);
      const [src, srcKey] = findObject(root.doc, from);
      if (!src) throw wrap(`copy operation does not apply: doc is missing from path: ${from}`, MISSING);
      const val = getOr(src, srcKey, (m) => wrap(`error in copy for from: '${from}'`, m));
      if (val === undefined)
        throw wrap(`copy operation does not apply: doc is missing from path: ${from}`, MISSING);
      const path = requirePath(op);
      const [dst, dstKey] = findObject(root.doc, path);
      if (!dst)
        throw wrap(`copy operation does not apply: doc is missing destination path: ${path}`, MISSING);
      addAt(dst, dstKey, structuredClone(val), "error while adding value during copy");
      return;
    }
    case "test": {
      const path = requirePath(op);
      const want = op.value;
      if (path === "") {
        if (want !== undefined && deepEqual(root.doc, want)) return;
        throw wrap(`testing value ${path} failed`, TEST_FAILED);
      }
      const [con, key] = findObject(root.doc, path);
      if (!con) throw wrap(`test operation does not apply: is missing path: ${path}`, MISSING);
      const got = getOr(con, key, (m) => wrap(`error in test for path: '${path}'`, m));
      if (got === undefined) {
        if (want === undefined || want === null) return;
        throw wrap(`testing value ${path} failed`, TEST_FAILED);
      }
      if (want !== undefined && deepEqual(got, want)) return;
      throw wrap(`testing value ${path} failed`, TEST_FAILED);
    }
    default:
      throw new PatchOpError(`Unexpected kind: ${op.op}`);
  }
}

function requirePath(op: JsonPatchOperation): string {
  if (op.path === undefined) throw wrap("operation missing path field", MISSING);
  return op.path;
}

function requireFrom(op: JsonPatchOperation): string {
  if (op.from === undefined) throw wrap("operation missing from field", MISSING);
  return op.from;
}

/** A missing `value` member adds JSON null, as the library does. */
function opValue(op: JsonPatchOperation): JsonValue {
  return op.value === undefined ? null : structuredClone(op.value);
}

/** `~1` → `/`, then `~0` → `~` (RFC 6901 order). */
function decodeKey(k: string): string {
  return k.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** The container of the last pointer segment, or undefined when a parent is missing. */
function findObject(doc: JsonValue, path: string): [Container | undefined, string] {
  const split = path.split("/");
  if (split.length < 2) return [undefined, ""];
  let cur: JsonValue = doc;
  for (const part of split.slice(1, -1)) {
    const con = asContainer(cur);
    if (!con) return [undefined, ""];
    let next: JsonValue | undefined;
    try {
      next = getAt(con, decodeKey(part));
    } catch {
      return [undefined, ""];
    }
    if (next === undefined || next === null) return [undefined, ""];
    cur = next;
  }
  const con = asContainer(cur);
  if (!con) return [undefined, ""];
  return [con, decodeKey(split[split.length - 1] as string)];
}

function asContainer(v: JsonValue): Container | undefined {
  if (Array.isArray(v)) return { kind: "ary", arr: v };
  if (v !== null && typeof v === "object") return { kind: "doc", obj: v };
  return undefined;
}

/** Go's `strconv.Atoi`: optional sign, decimal digits (leading zeros allowed). */
function atoi(key: string): number {
  if (!/^[+-]?\d+$/.test(key))
    throw new PatchOpError(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  return Number.parseInt(key, 10);
}

/** `get`, with the library's error for a bad array index rewrapped by `onError`. */
function getOr(
  con: Container,
  key: string,
  onError: (message: string) => PatchOpError,
): JsonValue | undefined {
  try {
    return getAt(con, key);
  } catch (err) {
    throw err instanceof PatchOpError ? onError(err.message) : err;
  }
}

/** The member or element at `key`; undefined for an absent object member. */
function getAt(con: Container, key: string): JsonValue | undefined {
  if (con.kind === "doc") return Object.hasOwn(con.obj, key) ? (con.obj[key] as JsonValue) : undefined;
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -con.arr.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
    idx += con.arr.length;
  }
  if (idx >= con.arr.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
  return con.arr[idx];
}

function setAt(con: Container, key: string, val: JsonValue, context: string): void {
  if (con.kind === "doc") {
    con.obj[key] = val;
    return;
  }
  try {
    let idx = atoi(key);
    if (idx < 0) {
      if (idx < -con.arr.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
      idx += con.arr.length;
    }
    if (idx >= con.arr.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
    con.arr[idx] = val;
  } catch (err) {
    throw err instanceof PatchOpError ? wrap(context, err.message) : err;
  }
}

function addAt(con: Container, key: string, val: JsonValue, context: string): void {
  if (con.kind === "doc") {
    con.obj[key] = val;
    return;
  }
  if (key === "-") {
    con.arr.push(val);
    return;
  }
  try {
    let idx: number;
    try {
      idx = atoi(key);
    } catch (err) {
      throw wrap(`value was not a proper array index: '${key}'`, (err as Error).message);
    }
    const size = con.arr.length + 1;
    if (idx >= size) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
    if (idx < 0) {
      if (idx < -size) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
      idx += size;
    }
    con.arr.splice(idx, 0, val);
  } catch (err) {
    throw err instanceof PatchOpError ? wrap(context, err.message) : err;
  }
}

function removeAt(con: Container, key: string, context: string): void {
  try {
    if (con.kind === "doc") {
      if (!Object.hasOwn(con.obj, key)) throw wrap(`Unable to remove nonexistent key: ${key}`, MISSING);
      delete con.obj[key];
      return;
    }
    let idx = atoi(key);
    if (idx >= con.arr.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
    if (idx < 0) {
      if (idx < -con.arr.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
      idx += con.arr.length;
    }
    con.arr.splice(idx, 1);
  } catch (err) {
    throw err instanceof PatchOpError ? wrap(context, err.message) : err;
  }
}

/** JSON equality (object member order ignored). */
export function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i] as JsonValue));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(b))
    return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k] as JsonValue, b[k] as JsonValue));
}
