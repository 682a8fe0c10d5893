/**
 * Namespace (pkg/registry/core/namespace/strategy.go and storage.go): a DNS-1123 label name, the
 * `kubernetes` spec finalizer and phase Active on create, the `kubernetes.io/metadata.name`
 * label, status/finalize subresources, and the two-phase deletion (mark Terminating, let the
 * namespace controller empty it and remove its finalizer, then remove it).
 */

import { create } from "@bufbuild/protobuf";
import {
  FieldPath,
  fieldError,
  isDNS1123Label,
  newConflict,
  newForbidden,
  timeFromMs,
} from "@tokenplane/apimachinery";
import { corev1, metav1 } from "@tokenplane/proto";
import { validateFinalizerName, validateMetaCreate, validateMetaUpdate } from "../meta-validation.js";
import type { Strategy } from "../strategy.js";

/** The finalizer the namespace controller removes once the namespace is empty (`FinalizerKubernetes`). */
export const namespaceFinalizer = "kubernetes";
/** The label every namespace carries with its own name (`LabelMetadataName`, GA in 1.22). */
export const metadataNameLabel = "kubernetes.io/metadata.name";
/** Namespaces NamespaceLifecycle refuses to delete. */
export const immortalNamespaces: ReadonlySet<string> = new Set(["default", "kube-system", "kube-public"]);

const namespacesResource = { group: "", resource: "namespaces" };
const specFinalizers = FieldPath.root("spec").child("finalizers");

function status(ns: corev1.Namespace): corev1.NamespaceStatus {
  if (!ns.status) ns.status = create(corev1.NamespaceStatusSchema);
  return ns.status;
}

function spec(ns: corev1.Namespace): corev1.NamespaceSpec {
  if (!ns.spec) ns.spec = create(corev1.NamespaceSpecSchema);
  return ns.spec;
}

/** `ValidateNamespaceStatusUpdate`: the phase follows the deletion timestamp. */
function validateStatusUpdate(ns: corev1.Namespace, old: corev1.Namespace) {
  const errs = validateMetaUpdate(ns.metadata!, old.metadata!);
  const phase = ns.status?.phase ?? "";
  // Kubernetes' path really is `status.Phase` (capital P) here.
  const path = FieldPath.root("status").child("Phase");
  if (!ns.metadata?.deletionTimestamp) {
    if (phase !== "Active")
      errs.push(fieldError.invalid(path, phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== "Terminating") {
    errs.push(
      fieldError.invalid(path, phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"),
    );
  }
  return errs;
}

export const namespaceStrategy: Strategy<corev1.Namespace> = {
  validateName: (name) => isDNS1123Label(name),
  default(ns) {
    // SetDefaults_Namespace and Canonicalize: the label always equals the name (a generated name
    // is known by the time the store runs defaulting again).
    const meta = ns.metadata ?? create(metav1.ObjectMetaSchema);
    ns.metadata = meta;
    if (meta.name) meta.labels[metadataNameLabel] = meta.name;
  },
  prepareForCreate(ns) {
    ns.status = create(corev1.NamespaceStatusSchema, { phase: "Active" });
    const s = spec(ns);
    if (!s.finalizers.includes(namespaceFinalizer)) s.finalizers.push(namespaceFinalizer);
  },
  validate(ns) {
    const errs = validateMetaCreate(ns.metadata, false, namespaceStrategy.validateName);
    for (const f of ns.spec?.finalizers ?? []) errs.push(...validateFinalizerName(f, specFinalizers));
    return errs;
  },
  prepareForUpdate(ns, old) {
    // Finalizers change only through /finalize, the status only through /status.
    spec(ns).finalizers = [...(old.spec?.finalizers ?? [])];
    ns.status = old.status;
  },
  validateUpdate: (ns, old) => validateMetaUpdate(ns.metadata!, old.metadata!),
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  subresources: {
    status: {
      prepareForUpdate(ns, old) {
        ns.spec = old.spec;
      },
      validateUpdate: validateStatusUpdate,
    },
    finalize: {
      prepareForUpdate(ns, old) {
        ns.status = old.status;
      },
      validateUpdate(ns, old) {
        const errs = validateMetaUpdate(ns.metadata!, old.metadata!);
        (ns.spec?.finalizers ?? []).forEach((f, i) => {
          errs.push(...validateFinalizerName(f, specFinalizers.index(i)));
        });
        return errs;
      },
    },
  },
  beforeDelete(ns, now) {
    const name = ns.metadata?.name ?? "";
    // NamespaceLifecycle admission: the system namespaces are immortal.
    if (immortalNamespaces.has(name)) {
      throw newForbidden(namespacesResource, name, "this namespace may not be deleted");
    }
    // First delete: mark the namespace; the namespace controller empties it (storage.go Delete).
    if (!ns.metadata?.deletionTimestamp) {
      ns.metadata!.deletionTimestamp = timeFromMs(now);
      status(ns).phase = "Terminating";
      return { action: "update", object: ns };
    }
    if ((ns.spec?.finalizers.length ?? 0) > 0) {
      throw newConflict(
        namespacesResource,
        name,
        "The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.",
      );
    }
    return { action: "proceed" };
  },
  // ShouldDeleteNamespaceDuringUpdate: the spec finalizers must be gone too.
  shouldDeleteDuringUpdate: (ns) => (ns.spec?.finalizers.length ?? 0) === 0,
};
