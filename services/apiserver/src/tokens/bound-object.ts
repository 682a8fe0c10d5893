/**
 * The object a TokenRequest binds its token to (`spec.boundObjectRef`), looked up and checked as
 * Kubernetes' TokenREST does (pkg/registry/core/serviceaccount/storage/token.go, reference §2.2
 * step 9): Pod, Node or Secret of the core group — only group and kind are compared, the version
 * is ignored — with the live uid, a pod's service account and node, and Kubernetes' error texts.
 */
import {
  goQuote,
  isNotFound,
  newBadRequest,
  newConflict,
  newInternalError,
  resourceFor,
} from "@tokenplane/apimachinery";
import type { authnv1, corev1 } from "@tokenplane/proto";
import type { Registry } from "../registry/registry.js";

const PODS = resourceFor("", "pods")!;
const NODES = resourceFor("", "nodes")!;
const SECRETS = resourceFor("", "secrets")!;

/** A group/version/kind parsed as `schema.FromAPIVersionAndKind`. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** The gate texts Kubernetes shows when node binding is off (reference §2.2, §2.5). */
export const NODE_BINDING_DISABLED_MESSAGE =
  'cannot bind token to a Node object as the "ServiceAccountTokenNodeBinding" feature-gate is disabled';

/**
 * `schema.FromAPIVersionAndKind`: `""` or `/` → no group/version; `v1` → core; `g/v` → group g;
 * more slashes do not parse, leaving only the kind.
 */
export function parseGroupVersionKind(apiVersion: string, kind: string): GroupVersionKind {
  if (apiVersion === "" || apiVersion === "/") return { group: "", version: "", kind };
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: apiVersion, kind };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]!, kind };
  return { group: "", version: "", kind };
}

/** `GroupVersionKind.String()`: `<group>/<version>, Kind=<kind>` (core: `/v1, Kind=ConfigMap`). */
export function groupVersionKindString(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`;
}

/**
 * The check the storage's key function makes before any lookup (genericregistry
 * `NamespaceKeyFunc` / `NoNamespaceKeyFunc` with `path.IsValidPathSegmentName`): 400
 * `Name parameter required.` for an empty name, `Name parameter invalid: "<name>": <why>` for
 * `.`, `..` or a name containing `/` or `%`. TokenREST gets the bound object through that storage.
 */
export function checkStorageName(name: string): void {
  if (name === "") throw newBadRequest("Name parameter required.");
  const why =
    name === "." || name === ".."
      ? [`may not be '${name}'`]
      : ["/", "%"].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
  if (why.length > 0) throw newBadRequest(`Name parameter invalid: ${goQuote(name)}: ${why.join(";")}`);
}

/** What the token gets bound to. */
export interface BoundObjects {
  /** `Pod`, `Node` or `Secret`. */
  readonly kind: "Pod" | "Node" | "Secret";
  readonly pod?: { readonly name: string; readonly uid: string };
  readonly secret?: { readonly name: string; readonly uid: string };
  /** The bound node, or the bound pod's node (uid absent when the Node object is missing). */
  readonly node?: { readonly name: string; readonly uid?: string };
}

/** Options of {@link resolveBoundObject}. */
export interface ResolveBoundObjectOptions {
  readonly registry: Registry;
  /** The URL namespace (pods and secrets are looked up there). */
  readonly namespace: string;
  /** The ServiceAccount name from the URL. */
  readonly serviceAccountName: string;
  /** ServiceAccountTokenNodeBinding gate (GA in 1.33); default true. */
  readonly nodeBinding?: boolean;
}

/**
 * Looks up and checks the bound object. Throws StatusErrors: 400 for a name the storage cannot
 * look up ({@link checkStorageName}); the registry's 404 (`pods "x" not found`); 400 `cannot bind token for serviceaccount "<sa>" to pod running with
 * different serviceaccount name.`; 400 for Node with the gate off; 400 `cannot bind token to
 * object of type <gvk>`; 500 when the pod's node cannot be read for another reason than NotFound;
 * 409 `Operation cannot be fulfilled on <Kind> "<name>": the UID in the bound object reference
 * (<uid>) does not match the UID in record. The object might have been deleted and then
 * recreated` when `ref.uid` is set and differs (an empty uid accepts the live one).
 */
export async function resolveBoundObject(
  ref: authnv1.BoundObjectReference,
  options: ResolveBoundObjectOptions,
): Promise<BoundObjects> {
  const { registry, namespace, serviceAccountName } = options;
  const gvk = parseGroupVersionKind(ref.apiVersion, ref.kind);
  let uid: string;
  let bound: BoundObjects;
  if (gvk.group === "" && gvk.kind === "Pod") {
    checkStorageName(ref.name);
    const pod = (await registry.get(PODS, namespace, ref.name)) as corev1.Pod;
    if (serviceAccountName !== (pod.spec?.serviceAccountName ?? "")) {
      throw newBadRequest(
        `cannot bind token for serviceaccount "${serviceAccountName}" to pod running with different serviceaccount name.`,
      );
    }
    uid = pod.metadata?.uid ?? "";
    const nodeName = pod.spec?.nodeName ?? "";
    let node: BoundObjects["node"];
    if (nodeName !== "") {
      // ServiceAccountTokenPodNodeInfo: a missing Node still puts its name in the token.
      try {
        const live = await registry.get(NODES, "", nodeName);
        node = { name: nodeName, uid: live.metadata?.uid ?? "" };
      } catch (err) {
        if (!isNotFound(err)) throw newInternalError(err);
        node = { name: nodeName };
      }
    }
    bound = { kind: "Pod", pod: { name: ref.name, uid }, ...(node !== undefined ? { node } : {}) };
  } else if (gvk.group === "" && gvk.kind === "Node") {
    if (options.nodeBinding === false) throw newBadRequest(NODE_BINDING_DISABLED_MESSAGE);
    checkStorageName(ref.name);
    const node = await registry.get(NODES, "", ref.name);
    uid = node.metadata?.uid ?? "";
    bound = { kind: "Node", node: { name: ref.name, uid } };
  } else if (gvk.group === "" && gvk.kind === "Secret") {
    checkStorageName(ref.name);
    const secret = await registry.get(SECRETS, namespace, ref.name);
    uid = secret.metadata?.uid ?? "";
    bound = { kind: "Secret", secret: { name: ref.name, uid } };
  } else {
    throw newBadRequest(`cannot bind token to object of type ${groupVersionKindString(gvk)}`);
  }
  if (ref.uid !== "" && ref.uid !== uid) {
    // Kubernetes builds the GroupResource from the kind, hence `Pod "x"`, not `pods "x"` (§11.9).
    throw newConflict(
      { group: gvk.group, resource: gvk.kind },
      ref.name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  return bound;
}
