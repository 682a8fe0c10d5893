/**
 * Role, ClusterRole, RoleBinding, ClusterRoleBinding (pkg/registry/rbac/*, pkg/apis/rbac/validation):
 * names are path segments, policy rules need verbs (and groups and resources, or only
 * non-resource URLs on cluster roles), bindings need a roleRef of the right kind that never
 * changes, and subjects need the fields their kind requires. PUT of a missing object creates it.
 * Escalation checks belong to authorization and are not done here.
 */

import { create } from "@bufbuild/protobuf";
import {
  type FieldError,
  FieldPath,
  fieldError,
  goQuote,
  isDNS1123Subdomain,
  isPathSegmentName,
  isQualifiedName,
  validateLabels,
} from "@tokenplane/apimachinery";
import type { metav1, rbacv1 } from "@tokenplane/proto";
import { rbacv1 as rbac } from "@tokenplane/proto";
import { invalidRendered, validateMetaCreate, validateMetaUpdate } from "../meta-validation.js";
import type { Strategy } from "../strategy.js";

/** The RBAC API group, also the only roleRef group and the group of User/Group subjects. */
export const rbacGroup = "rbac.authorization.k8s.io";

const nameRule = (name: string) => isPathSegmentName(name);

/** `ValidatePolicyRule`. */
function validatePolicyRule(rule: rbacv1.PolicyRule, namespaced: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (rule.verbs.length === 0)
    errs.push(fieldError.required(path.child("verbs"), "verbs must contain at least one value"));
  if (rule.nonResourceURLs.length > 0) {
    if (namespaced) {
      errs.push(
        fieldError.invalid(
          path.child("nonResourceURLs"),
          rule.nonResourceURLs,
          "namespaced rules cannot apply to non-resource URLs",
        ),
      );
    }
    if (rule.apiGroups.length > 0 || rule.resources.length > 0 || rule.resourceNames.length > 0) {
      errs.push(
        fieldError.invalid(
          path.child("nonResourceURLs"),
          rule.nonResourceURLs,
          "rules cannot apply to both regular resources and non-resource URLs",
        ),
      );
    }
    return errs;
  }
  if (rule.apiGroups.length === 0) {
    errs.push(
      fieldError.required(path.child("apiGroups"), "resource rules must supply at least one api group"),
    );
  }
  if (rule.resources.length === 0) {
    errs.push(
      fieldError.required(path.child("resources"), "resource rules must supply at least one resource"),
    );
  }
  return errs;
}

function validateRules(rules: readonly rbacv1.PolicyRule[], namespaced: boolean): FieldError[] {
  return rules.flatMap((r, i) => validatePolicyRule(r, namespaced, FieldPath.root("rules").index(i)));
}

/** `ValidateLabelSelector` for aggregation selectors. */
function validateLabelSelector(sel: metav1.LabelSelector, path: FieldPath): FieldError[] {
  const errs = validateLabels(sel.matchLabels, path.child("matchLabels"));
  sel.matchExpressions.forEach((req, i) => {
    const p = path.child("matchExpressions").index(i);
    switch (req.operator) {
      case "In":
      case "NotIn":
        if (req.values.length === 0) {
          errs.push(
            fieldError.required(p.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (req.values.length > 0) {
          errs.push(
            fieldError.forbidden(
              p.child("values"),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(fieldError.invalid(p.child("operator"), req.operator, "not a valid selector operator"));
    }
    for (const msg of isQualifiedName(req.key)) errs.push(fieldError.invalid(p.child("key"), req.key, msg));
  });
  return errs;
}

function validateAggregationRule(rule: rbacv1.AggregationRule | undefined): FieldError[] {
  if (!rule) return [];
  const path = FieldPath.root("aggregationRule").child("clusterRoleSelectors");
  if (rule.clusterRoleSelectors.length === 0) {
    return [
      fieldError.required(path, "at least one clusterRoleSelector required if aggregationRule is non-nil"),
    ];
  }
  return rule.clusterRoleSelectors.flatMap((s, i) => validateLabelSelector(s, path.index(i)));
}

/** `validateRoleBindingSubject`. */
function validateSubject(s: rbacv1.Subject, namespaced: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(fieldError.required(path.child("name")));
  switch (s.kind) {
    case "ServiceAccount":
      if (s.name) {
        for (const msg of isDNS1123Subdomain(s.name))
          errs.push(fieldError.invalid(path.child("name"), s.name, msg));
      }
      if (s.apiGroup) errs.push(fieldError.notSupported(path.child("apiGroup"), s.apiGroup, [""]));
      if (!namespaced && !s.namespace) errs.push(fieldError.required(path.child("namespace")));
      break;
    case "User":
    case "Group":
      if (!s.name) {
        errs.push(
          fieldError.invalid(
            path.child("name"),
            s.name,
            `${s.kind === "User" ? "user" : "group"} name cannot be empty`,
          ),
        );
      }
      if (s.apiGroup !== rbacGroup)
        errs.push(fieldError.notSupported(path.child("apiGroup"), s.apiGroup, [rbacGroup]));
      break;
    default:
      errs.push(fieldError.notSupported(path.child("kind"), s.kind, ["ServiceAccount", "User", "Group"]));
  }
  return errs;
}

type Binding = rbacv1.RoleBinding | rbacv1.ClusterRoleBinding;

function validateBinding(b: Binding, namespaced: boolean): FieldError[] {
  const errs = validateMetaCreate(b.metadata, namespaced, nameRule);
  const ref = b.roleRef ?? create(rbac.RoleRefSchema);
  if (ref.apiGroup !== rbacGroup) {
    errs.push(
      fieldError.notSupported(FieldPath.root("roleRef").child("apiGroup"), ref.apiGroup, [rbacGroup]),
    );
  }
  const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(ref.kind))
    errs.push(fieldError.notSupported(FieldPath.root("roleRef").child("kind"), ref.kind, kinds));
  if (!ref.name) {
    errs.push(fieldError.required(FieldPath.root("roleRef").child("name")));
  } else {
    for (const msg of nameRule(ref.name))
      errs.push(fieldError.invalid(FieldPath.root("roleRef").child("name"), ref.name, msg));
  }
  b.subjects.forEach((s, i) => {
    errs.push(...validateSubject(s, namespaced, FieldPath.root("subjects").index(i)));
  });
  return errs;
}

/** `cannot change roleRef`, printed the way Kubernetes prints the Go struct (`%#v`). */
function validateRoleRefUnchanged(b: Binding, old: Binding): FieldError[] {
  const a = b.roleRef;
  const o = old.roleRef;
  if (
    (a?.apiGroup ?? "") === (o?.apiGroup ?? "") &&
    (a?.kind ?? "") === (o?.kind ?? "") &&
    (a?.name ?? "") === (o?.name ?? "")
  ) {
    return [];
  }
  const q = goQuote;
  const rendered = `rbac.RoleRef{APIGroup:${q(a?.apiGroup ?? "")}, Kind:${q(a?.kind ?? "")}, Name:${q(a?.name ?? "")}}`;
  return [invalidRendered("roleRef", rendered, "cannot change roleRef")];
}

/** SetDefaults_Subject: User and Group subjects default to the RBAC group. */
function defaultSubjects(subjects: rbacv1.Subject[]): void {
  for (const s of subjects) {
    if (!s.apiGroup && (s.kind === "User" || s.kind === "Group")) s.apiGroup = rbacGroup;
  }
}

/** SetDefaults_RoleBinding / SetDefaults_ClusterRoleBinding: the roleRef group defaults to RBAC's. */
function defaultBinding(b: Binding): void {
  if (b.roleRef && !b.roleRef.apiGroup) b.roleRef.apiGroup = rbacGroup;
  defaultSubjects(b.subjects);
}

const common = {
  validateName: nameRule,
  prepareForCreate() {},
  prepareForUpdate() {},
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: true,
  subresources: {},
} as const;

export const roleStrategy: Strategy<rbacv1.Role> = {
  ...common,
  default() {},
  validate: (r) => [...validateMetaCreate(r.metadata, true, nameRule), ...validateRules(r.rules, true)],
  validateUpdate: (r, old) => [
    ...roleStrategy.validate(r),
    ...validateMetaUpdate(r.metadata!, old.metadata!),
  ],
};

export const clusterRoleStrategy: Strategy<rbacv1.ClusterRole> = {
  ...common,
  default() {},
  validate: (r) => [
    ...validateMetaCreate(r.metadata, false, nameRule),
    ...validateRules(r.rules, false),
    ...validateAggregationRule(r.aggregationRule),
  ],
  validateUpdate: (r, old) => [
    ...clusterRoleStrategy.validate(r),
    ...validateMetaUpdate(r.metadata!, old.metadata!),
  ],
};

export const roleBindingStrategy: Strategy<rbacv1.RoleBinding> = {
  ...common,
  default: defaultBinding,
  validate: (b) => validateBinding(b, true),
  validateUpdate: (b, old) => [
    ...validateBinding(b, true),
    ...validateMetaUpdate(b.metadata!, old.metadata!),
    ...validateRoleRefUnchanged(b, old),
  ],
};

export const clusterRoleBindingStrategy: Strategy<rbacv1.ClusterRoleBinding> = {
  ...common,
  default: defaultBinding,
  validate: (b) => validateBinding(b, false),
  validateUpdate: (b, old) => [
    ...validateBinding(b, false),
    ...validateMetaUpdate(b.metadata!, old.metadata!),
    ...validateRoleRefUnchanged(b, old),
  ],
};
