/**
 * The ClusterRoles and ClusterRoleBindings that exist from the start: Kubernetes' bootstrap
 * policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, reference §6.4) restricted to
 * what tokenplane serves, plus one role and binding per tokenplane component. The component user
 * names are the client-certificate CNs of packages/stack/src/identities.ts. README.md has the table.
 */
import { create } from "@bufbuild/protobuf";
import { metav1, rbacv1 } from "@tokenplane/proto";
import { rbacGroup } from "./rbac/policy-index.js";

/** Label on every bootstrap object (`bootstrappolicy.Label`). */
export const bootstrappingLabel = { "kubernetes.io/bootstrapping": "rbac-defaults" } as const;
/** `rbacv1.AutoUpdateAnnotationKey`: "true" lets the apiserver reconcile the object at start. */
export const autoUpdateAnnotationKey = "rbac.authorization.kubernetes.io/autoupdate";

const legacyGroup = "";
const authenticationGroup = "authentication.k8s.io";
const authorizationGroup = "authorization.k8s.io";

/** `bootstrappolicy.Read`, `Write`, `ReadWrite`. */
export const Read = ["get", "list", "watch"];
export const Write = ["create", "update", "patch", "delete", "deletecollection"];
export const ReadWrite = [...Read, ...Write];

const sorted = (xs: readonly string[]) => [...new Set(xs)].sort();

/**
 * `rbacv1helpers.NewRule(verbs...).Groups(...).Resources(...).Names(...)` / `.URLs(...)`: every
 * list de-duplicated and sorted, as Kubernetes' builder does.
 */
export function newRule(
  verbs: readonly string[],
  what:
    | { groups: readonly string[]; resources: readonly string[]; names?: readonly string[] }
    | { urls: readonly string[] },
): rbacv1.PolicyRule {
  if ("urls" in what)
    return create(rbacv1.PolicyRuleSchema, { verbs: sorted(verbs), nonResourceURLs: sorted(what.urls) });
  return create(rbacv1.PolicyRuleSchema, {
    verbs: sorted(verbs),
    apiGroups: sorted(what.groups),
    resources: sorted(what.resources),
    resourceNames: sorted(what.names ?? []),
  });
}

const core = (verbs: readonly string[], ...resources: string[]) =>
  newRule(verbs, { groups: [legacyGroup], resources });

function meta(name: string, labels: Record<string, string> = {}): metav1.ObjectMeta {
  return create(metav1.ObjectMetaSchema, {
    name,
    labels: { ...labels, ...bootstrappingLabel },
    annotations: { [autoUpdateAnnotationKey]: "true" },
  });
}

function clusterRole(
  name: string,
  rules: rbacv1.PolicyRule[],
  opts: { labels?: Record<string, string>; aggregateFrom?: string } = {},
): rbacv1.ClusterRole {
  return create(rbacv1.ClusterRoleSchema, {
    metadata: meta(name, opts.labels),
    rules,
    ...(opts.aggregateFrom
      ? {
          aggregationRule: {
            clusterRoleSelectors: [{ matchLabels: { [opts.aggregateFrom]: "true" } }],
          },
        }
      : {}),
  });
}

/** The aggregation labels of the user-facing roles. */
export const aggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin";
export const aggregateToEdit = "rbac.authorization.k8s.io/aggregate-to-edit";
export const aggregateToView = "rbac.authorization.k8s.io/aggregate-to-view";

/** The bootstrap ClusterRoles, in Kubernetes' order, then tokenplane's. */
export function bootstrapClusterRoles(): rbacv1.ClusterRole[] {
  return [
    // A "root" role which can do absolutely anything.
    clusterRole("cluster-admin", [
      newRule(["*"], { groups: ["*"], resources: ["*"] }),
      newRule(["*"], { urls: ["*"] }),
    ]),
    // Just enough to tell whether the server is ready and to discover API versions.
    clusterRole("system:discovery", [
      newRule(["get"], {
        urls: [
          "/livez",
          "/readyz",
          "/healthz",
          "/version",
          "/version/",
          "/openapi",
          "/openapi/*",
          "/api",
          "/api/*",
          "/apis",
          "/apis/*",
        ],
      }),
    ]),
    // Lets a "normal" user learn about themselves.
    clusterRole("system:basic-user", [
      newRule(["create"], {
        groups: [authorizationGroup],
        resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
      }),
      newRule(["create"], { groups: [authenticationGroup], resources: ["selfsubjectreviews"] }),
    ]),
    // Insensitive cluster information, for everyone including anonymous users.
    clusterRole("system:public-info-viewer", [
      newRule(["get"], { urls: ["/livez", "/readyz", "/healthz", "/version", "/version/"] }),
    ]),
    // The user-facing roles: aggregated from the system:aggregate-to-* roles below.
    clusterRole("admin", [], { aggregateFrom: aggregateToAdmin }),
    clusterRole("edit", [], { labels: { [aggregateToAdmin]: "true" }, aggregateFrom: aggregateToEdit }),
    clusterRole("view", [], { labels: { [aggregateToEdit]: "true" }, aggregateFrom: aggregateToView }),
    clusterRole(
      "system:aggregate-to-admin",
      [
        newRule(["create"], { groups: [authorizationGroup], resources: ["localsubjectaccessreviews"] }),
        newRule(ReadWrite, { groups: [rbacGroup], resources: ["roles", "rolebindings"] }),
      ],
      { labels: { [aggregateToAdmin]: "true" } },
    ),
    clusterRole(
      "system:aggregate-to-edit",
      [
        // Reading secrets escalates (they hold tokens), hence edit, not view.
        core(Read, "secrets"),
        core(["impersonate"], "serviceaccounts"),
        core(Write, "pods"),
        core(Write, "serviceaccounts", "configmaps", "secrets"),
        core(["create"], "serviceaccounts/token"),
      ],
      { labels: { [aggregateToEdit]: "true" } },
    ),
    clusterRole(
      "system:aggregate-to-view",
      [
        core(Read, "pods", "serviceaccounts", "configmaps"),
        core(Read, "pods/status", "namespaces/status"),
        // Read access to namespaces at the namespace scope means reading *this* namespace.
        core(Read, "namespaces"),
      ],
      { labels: { [aggregateToView]: "true" } },
    ),
    // Reference §6.4.
    clusterRole("system:service-account-issuer-discovery", [
      newRule(["get"], { urls: ["/.well-known/openid-configuration", "/openid/v1/jwks"] }),
    ]),
    // tokenplane's components: each gets only what it needs.
    clusterRole("system:kube-controller-manager", [
      core(Read, "namespaces"),
      core([...Read, "create", "update", "patch", "delete"], "serviceaccounts", "secrets", "configmaps"),
      core(Read, "pods"),
    ]),
    clusterRole("tokenplane:admission", [core(Read, "serviceaccounts")]),
    clusterRole("tokenplane:kubelet-sim", [
      core(["create", "get", "list", "watch", "update", "patch", "delete"], "nodes", "nodes/status"),
      // The simulator also schedules: it binds pods without a node through pods/binding.
      core([...Read, "update", "patch", "delete"], "pods"),
      core(["create"], "pods/binding"),
      core(["update", "patch"], "pods/status"),
      core(["create"], "serviceaccounts/token"),
      core(Read, "configmaps", "secrets"),
      core(["get"], "serviceaccounts"),
    ]),
  ];
}

type SubjectSpec = { kind: "User" | "Group"; name: string };

function clusterRoleBinding(
  name: string,
  roleName: string,
  subjects: SubjectSpec[],
): rbacv1.ClusterRoleBinding {
  return create(rbacv1.ClusterRoleBindingSchema, {
    metadata: meta(name),
    roleRef: { apiGroup: rbacGroup, kind: "ClusterRole", name: roleName },
    subjects: subjects.map((s) => ({ kind: s.kind, apiGroup: rbacGroup, name: s.name })),
  });
}

const group = (name: string): SubjectSpec => ({ kind: "Group", name });
const userSubject = (name: string): SubjectSpec => ({ kind: "User", name });

/** The bootstrap ClusterRoleBindings. */
export function bootstrapClusterRoleBindings(): rbacv1.ClusterRoleBinding[] {
  return [
    clusterRoleBinding("cluster-admin", "cluster-admin", [group("system:masters")]),
    clusterRoleBinding("system:discovery", "system:discovery", [group("system:authenticated")]),
    clusterRoleBinding("system:basic-user", "system:basic-user", [group("system:authenticated")]),
    clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", [
      group("system:authenticated"),
      group("system:unauthenticated"),
    ]),
    clusterRoleBinding("system:service-account-issuer-discovery", "system:service-account-issuer-discovery", [
      group("system:serviceaccounts"),
    ]),
    clusterRoleBinding("system:kube-controller-manager", "system:kube-controller-manager", [
      userSubject("system:kube-controller-manager"),
    ]),
    clusterRoleBinding("tokenplane:admission", "tokenplane:admission", [userSubject("tokenplane:admission")]),
    clusterRoleBinding("tokenplane:kubelet-sim", "tokenplane:kubelet-sim", [
      userSubject("tokenplane:kubelet-sim"),
    ]),
    // The discovery service serves the issuer's public keys: exactly the issuer-discovery grant.
    clusterRoleBinding("tokenplane:oidc-discovery", "system:service-account-issuer-discovery", [
      userSubject("tokenplane:oidc-discovery"),
    ]),
  ];
}
