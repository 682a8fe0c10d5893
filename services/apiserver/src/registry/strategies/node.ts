/**
 * Node (pkg/registry/core/node/strategy.go, ValidateNode and ValidateNodeUpdate): cluster-scoped,
 * a DNS-subdomain name, taint rules, podCIDR/providerID settable once, and a status subresource
 * (the main resource keeps the old status, `/status` keeps the old spec).
 */
import {
  type FieldError,
  FieldPath,
  fieldError,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import { validateMetaCreate, validateMetaUpdate } from "../meta-validation.js";
import type { Strategy } from "../strategy.js";

const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
// Kubernetes validates taints under `metadata.taints` (ValidateNode passes the metadata path).
const taintsPath = FieldPath.root("metadata").child("taints");

/** `validateNodeTaints`: key, value, effect of each taint; unique by key and effect. */
function validateTaints(taints: readonly corev1.Taint[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  taints.forEach((t, i) => {
    const p = taintsPath.index(i);
    for (const msg of isQualifiedName(t.key)) errs.push(fieldError.invalid(p.child("key"), t.key, msg));
    const valueErrs = isValidLabelValue(t.value);
    if (valueErrs.length) errs.push(fieldError.invalid(p.child("value"), t.value, valueErrs.join(";")));
    if (!t.effect) errs.push(fieldError.required(p.child("effect")));
    else if (!taintEffects.includes(t.effect))
      errs.push(fieldError.notSupported(p.child("effect"), t.effect, taintEffects));
    const id = `${t.key}\u0000${t.effect}`;
    if (seen.has(id)) errs.push(fieldError.duplicate(p, "taints must be unique by key and effect pair"));
    seen.add(id);
  });
  return errs;
}

/** `ValidateNode` (the modelled part). */
export function validateNode(node: corev1.Node): FieldError[] {
  return [
    ...validateMetaCreate(node.metadata, false, nodeStrategy.validateName),
    ...validateTaints(node.spec?.taints ?? []),
  ];
}

/** `ValidateNodeUpdate` (the modelled part): podCIDR and providerID may only go from "" to a value. */
export function validateNodeUpdate(node: corev1.Node, old: corev1.Node): FieldError[] {
  const errs = [
    ...validateMetaUpdate(node.metadata!, old.metadata!),
    ...validateTaints(node.spec?.taints ?? []),
  ];
  const oldCIDRs = old.spec?.podCIDRs ?? [];
  const newCIDRs = node.spec?.podCIDRs ?? [];
  if (
    oldCIDRs.length > 0 &&
    (oldCIDRs.length !== newCIDRs.length || oldCIDRs.some((c, i) => c !== newCIDRs[i]))
  ) {
    errs.push(
      fieldError.forbidden(
        FieldPath.root("spec").child("podCIDRs"),
        'node updates may not change podCIDR except from "" to valid',
      ),
    );
  }
  const oldProvider = old.spec?.providerID ?? "";
  if (oldProvider !== "" && oldProvider !== (node.spec?.providerID ?? "")) {
    errs.push(
      fieldError.forbidden(
        FieldPath.root("spec").child("providerID"),
        'node updates may not change providerID except from "" to valid',
      ),
    );
  }
  return errs;
}

export const nodeStrategy: Strategy<corev1.Node> = {
  validateName: (name) => isDNS1123Subdomain(name),
  default(node) {
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    const st = node.status;
    if (st && Object.keys(st.allocatable).length === 0 && Object.keys(st.capacity).length > 0) {
      st.allocatable = { ...st.capacity };
    }
  },
  prepareForCreate() {},
  validate: validateNode,
  prepareForUpdate(node, old) {
    node.status = old.status;
  },
  validateUpdate: validateNodeUpdate,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  subresources: {
    status: {
      prepareForUpdate(node, old) {
        node.spec = old.spec;
      },
      validateUpdate: validateNodeUpdate,
    },
  },
};
