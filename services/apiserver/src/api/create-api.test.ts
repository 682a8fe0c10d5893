import { create } from "@bufbuild/protobuf";
import { StatusError } from "@tokenplane/apimachinery";
import { authnv1, corev1, rbacv1 } from "@tokenplane/proto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createAccessReviews,
  createEscalationCheck,
  createPrivilegedGroupAuthorizer,
  createRbacAuthorizer,
  createUnionAuthorizer,
  createUnionRuleResolver,
  PolicyIndex,
} from "../authz/index.js";
import { ensureSystemNamespaces } from "../registry/index.js";
import {
  PODS,
  pod,
  ROLEBINDINGS,
  ROLES,
  SA,
  serviceAccount,
  testRegistry,
  withNamespaces,
} from "../registry/test-registry.js";
import type { RequestContext } from "../request/context.js";
import type { Api } from "./api.js";
import { createApi } from "./create-api.js";

const admin = (): RequestContext => ({
  user: {
    username: "kubernetes-admin",
    uid: "",
    groups: ["system:masters", "system:authenticated"],
    extra: {},
  },
  warnings: [],
  auditAnnotations: {},
});
const nobody = (): RequestContext => ({
  user: { username: "jane", uid: "", groups: ["system:authenticated"], extra: {} },
  warnings: [],
  auditAnnotations: {},
});

const unused = () => {
  throw new Error("not used in this test");
};

function binding(name: string, node: string, kind = "Node"): corev1.Binding {
  return create(corev1.BindingSchema, { metadata: { name }, target: { kind, name: node } });
}

async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("Api.bind (pods/binding)", () => {
  let api: Api;
  let env: ReturnType<typeof testRegistry>;

  beforeEach(async () => {
    env = testRegistry();
    await ensureSystemNamespaces(env.registry);
    // system:masters only: RBAC is not what these tests are about.
    const authorizer = createUnionAuthorizer([createPrivilegedGroupAuthorizer()]);
    api = createApi({
      registry: env.registry,
      authorizer,
      escalation: createEscalationCheck({ authorizer, index: new PolicyIndex() }),
      accessReviews: createAccessReviews({ authorizer, ruleResolver: createUnionRuleResolver([]) }),
      tokens: { createToken: unused },
      tokenReviews: { createTokenReview: unused },
      selfSubjectReviews: { createSelfSubjectReview: () => create(authnv1.SelfSubjectReviewSchema) },
      openIdMetadata: () => undefined,
    });
    await env.registry.create(env.ctx(), PODS, "default", pod("p"));
  });

  it("sets spec.nodeName and the PodScheduled condition", async () => {
    const bound = await api.bind(admin(), "default", binding("p", "node-1"));
    expect(bound.spec?.nodeName).toBe("node-1");
    expect(bound.status?.conditions.find((c) => c.type === "PodScheduled")?.status).toBe("True");
    const stored = (await env.registry.get(PODS, "default", "p")) as corev1.Pod;
    expect(stored.spec?.nodeName).toBe("node-1");
    expect(stored.spec?.containers[0]?.image).toBe("busybox:1.36");
  });

  it("refuses a pod that already has a node, with Kubernetes' 409 text", async () => {
    await api.bind(admin(), "default", binding("p", "node-1"));
    const err = await failure(api.bind(admin(), "default", binding("p", "node-2")));
    expect(err.code).toBe(409);
    expect(err.message).toBe(
      'Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "node-1"',
    );
  });

  it("refuses a pod being deleted", async () => {
    // An unscheduled pod is removed at once on delete; a finalizer keeps this one while it is deleted.
    await env.registry.create(
      env.ctx(),
      PODS,
      "default",
      pod("q", { nodeName: "" }, { finalizers: ["example.com/hold"] }),
    );
    await env.registry.delete(env.ctx(), PODS, "default", "q");
    const err = await failure(api.bind(admin(), "default", binding("q", "node-1")));
    expect(err.message).toBe(
      'Operation cannot be fulfilled on pods/binding "q": pod q is being deleted, cannot be assigned to a host',
    );
  });

  it("validates the target", async () => {
    const err = await failure(api.bind(admin(), "default", binding("p", "")));
    expect(err.code).toBe(422);
    expect(err.message).toBe('Binding "p" is invalid: target.name: Required value');
    const kind = await failure(api.bind(admin(), "default", binding("p", "n", "Pod")));
    expect(kind.message).toBe(
      'Binding "p" is invalid: target.kind: Unsupported value: "Pod": supported values: "Node"',
    );
  });

  it("is authorized as create pods/binding", async () => {
    const err = await failure(api.bind(nobody(), "default", binding("p", "node-1")));
    expect(err.code).toBe(403);
    expect(err.message).toBe(
      'pods "p" is forbidden: User "jane" cannot create resource "pods/binding" in API group "" in the namespace "default"',
    );
  });
});

describe("Api.create authorization", () => {
  // kube-apiserver authorizes a create from the URL, which names no object: the attributes carry
  // no name, so the 403 names none and RBAC `resourceNames` can never grant a create (RBAC docs:
  // "You cannot restrict create or deletecollection requests by their resource name").
  let api: Api;
  let env: ReturnType<typeof testRegistry>;
  let stop: AbortController;
  const jane = nobody;

  afterEach(() => stop.abort());
  beforeEach(async () => {
    stop = new AbortController();
    env = testRegistry();
    await withNamespaces(env, "default");
    await env.registry.create(
      env.ctx(),
      ROLES,
      "default",
      create(rbacv1.RoleSchema, {
        metadata: { name: "create-one-sa" },
        rules: [
          { verbs: ["create"], apiGroups: [""], resources: ["serviceaccounts"], resourceNames: ["new"] },
          // For the subresource test below: the status of pods, not the pods.
          { verbs: ["get"], apiGroups: [""], resources: ["pods/status"] },
        ],
      }),
    );
    await env.registry.create(
      env.ctx(),
      ROLEBINDINGS,
      "default",
      create(rbacv1.RoleBindingSchema, {
        metadata: { name: "jane-creates-one-sa" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "create-one-sa" },
        subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "jane" }],
      }),
    );
    const rbac = createRbacAuthorizer({ registry: env.registry, log: { info() {}, warn() {}, debug() {} } });
    await rbac.start(stop.signal);
    const authorizer = createUnionAuthorizer([createPrivilegedGroupAuthorizer(), rbac]);
    api = createApi({
      registry: env.registry,
      authorizer,
      escalation: createEscalationCheck({ authorizer, index: rbac.index }),
      accessReviews: createAccessReviews({ authorizer, ruleResolver: createUnionRuleResolver([rbac]) }),
      tokens: { createToken: unused },
      tokenReviews: { createTokenReview: unused },
      selfSubjectReviews: { createSelfSubjectReview: () => create(authnv1.SelfSubjectReviewSchema) },
      openIdMetadata: () => undefined,
    });
  });

  it("names no object in the 403 and is not granted by resourceNames", async () => {
    const err = await failure(api.create(jane(), SA, "default", serviceAccount("new")));
    expect(err.code).toBe(403);
    expect(err.message).toBe(
      'serviceaccounts is forbidden: User "jane" cannot create resource "serviceaccounts" in API group "" in the namespace "default"',
    );
    expect(err.status.details).toEqual({ kind: "serviceaccounts" });
  });

  it("authorizes a GET of a subresource as that subresource (pods/status), not as the resource", async () => {
    await env.registry.create(env.ctx(), PODS, "default", pod("p"));
    const status = await api.get(jane(), PODS, "default", "p", { subresource: "status" });
    expect(status.metadata?.name).toBe("p");
    const err = await failure(api.get(jane(), PODS, "default", "p"));
    expect([err.code, err.message]).toEqual([
      403,
      'pods "p" is forbidden: User "jane" cannot get resource "pods" in API group "" in the namespace "default"',
    ]);
  });
});
