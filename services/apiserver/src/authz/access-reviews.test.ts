import { create } from "@bufbuild/protobuf";
import { fromK8sJson, type JsonObject, type StatusError } from "@tokenplane/apimachinery";
import { authzv1 } from "@tokenplane/proto";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RequestContext, UserInfo } from "../request/context.js";
import { systemContext } from "../request/context.js";
import { createAccessReviews } from "./access-reviews.js";
import type { AuthorizationResult, Authorizer } from "./authorizer.js";
import { ensureBootstrapPolicy } from "./bootstrap-policy.js";
import { createPrivilegedGroupAuthorizer } from "./privileged-group-authorizer.js";
import {
  CLUSTERROLES,
  clusterRole,
  ROLEBINDINGS,
  rbacRegistry,
  roleBinding,
  startedAuthorizer,
} from "./rbac/rbac-test-env.js";
import { serviceAccountUser, user } from "./test-fixtures.js";
import { createUnionAuthorizer } from "./union-authorizer.js";

// The index follows the registry by watch: give polled expectations time on loaded machines.
vi.setConfig({ expect: { poll: { timeout: 5000, interval: 5 } } });

const sar = (j: JsonObject) => decode(authzv1.SubjectAccessReviewSchema, j);
const ssar = (j: JsonObject) => decode(authzv1.SelfSubjectAccessReviewSchema, j);
const ssrr = (j: JsonObject) => decode(authzv1.SelfSubjectRulesReviewSchema, j);
function decode<S extends Parameters<typeof fromK8sJson>[0]>(schema: S, j: JsonObject) {
  const r = fromK8sJson(schema, j);
  if ("error" in r) throw new TypeError(r.error);
  return r.value;
}
const asUser = (u: UserInfo): RequestContext => ({ user: u, warnings: [], auditAnnotations: {} });

async function rejection(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    return err as StatusError;
  }
  throw new Error("expected a failure");
}

let stops: AbortController[] = [];
afterEach(() => {
  for (const s of stops) s.abort();
  stops = [];
});

/** Reviews over the bootstrap policy plus `pod-reader` bound to alice in "ns". */
async function realReviews() {
  const registry = await rbacRegistry("ns");
  await ensureBootstrapPolicy(registry, systemContext());
  await registry.create(
    systemContext(),
    CLUSTERROLES,
    "",
    clusterRole("pod-reader", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }]),
  );
  await registry.create(
    systemContext(),
    ROLEBINDINGS,
    "ns",
    roleBinding("ns", "alice", { kind: "ClusterRole", name: "pod-reader" }, ["User:alice"]),
  );
  const { authz, stop } = await startedAuthorizer(registry);
  stops.push(stop);
  const authorizer = createUnionAuthorizer([createPrivilegedGroupAuthorizer(), authz]);
  return createAccessReviews({ authorizer, ruleResolver: authz });
}

function fixedReviews(result: AuthorizationResult) {
  const seen: Parameters<Authorizer["authorize"]>[0][] = [];
  const authorizer: Authorizer = {
    async authorize(attrs) {
      seen.push(attrs);
      return result;
    },
  };
  const reviews = createAccessReviews({
    authorizer,
    ruleResolver: {
      rulesFor: async () => ({
        resourceRules: [],
        nonResourceRules: [],
        incomplete: false,
        evaluationError: "",
      }),
    },
  });
  return { reviews, seen };
}

describe("SubjectAccessReview", () => {
  it("answers for the user and groups of the spec, with RBAC's reason", async () => {
    const reviews = await realReviews();
    const review = sar({
      spec: {
        user: "alice",
        resourceAttributes: { namespace: "ns", verb: "get", resource: "pods", name: "p" },
      },
    });
    await expect
      .poll(async () => (await reviews.subjectAccessReview(asUser(user("admin")), review)).status?.allowed)
      .toBe(true);
    const out = await reviews.subjectAccessReview(asUser(user("admin")), review);
    expect(out.spec).toEqual(review.spec);
    expect(out.status).toEqual(
      create(authzv1.SubjectAccessReviewStatusSchema, {
        allowed: true,
        reason: 'RBAC: allowed by RoleBinding "alice/ns" of ClusterRole "pod-reader" to User "alice"',
      }),
    );
    const other = await reviews.subjectAccessReview(
      asUser(user("admin")),
      sar({
        spec: { user: "alice", resourceAttributes: { namespace: "ns", verb: "delete", resource: "pods" } },
      }),
    );
    expect(other.status).toEqual(create(authzv1.SubjectAccessReviewStatusSchema, {}));
    // The spec's groups are used as given: no system:authenticated is added.
    const groups = await reviews.subjectAccessReview(
      asUser(user("admin")),
      sar({
        spec: {
          user: "x",
          groups: ["system:serviceaccounts"],
          nonResourceAttributes: { path: "/openid/v1/jwks", verb: "get" },
        },
      }),
    );
    expect(groups.status?.allowed).toBe(true);
    const masters = await reviews.subjectAccessReview(
      asUser(user("admin")),
      sar({
        spec: { groups: ["system:masters"], resourceAttributes: { verb: "delete", resource: "nodes" } },
      }),
    );
    expect(masters.status).toEqual(create(authzv1.SubjectAccessReviewStatusSchema, { allowed: true }));
  });

  it("maps decisions and errors onto the status and defaults the version to *", async () => {
    const { reviews, seen } = fixedReviews({ decision: "deny", reason: "nope", evaluationError: "broken" });
    const out = await reviews.subjectAccessReview(
      systemContext(),
      sar({
        spec: {
          user: "bob",
          uid: "u1",
          groups: ["g"],
          extra: { scopes: ["a", "b"] },
          resourceAttributes: {
            verb: "create",
            group: "apps",
            resource: "deployments",
            subresource: "scale",
            name: "d",
          },
        },
      }),
    );
    expect(out.status).toEqual(
      create(authzv1.SubjectAccessReviewStatusSchema, {
        allowed: false,
        denied: true,
        reason: "nope",
        evaluationError: "broken",
      }),
    );
    expect(seen[0]).toEqual({
      user: { username: "bob", uid: "u1", groups: ["g"], extra: { scopes: ["a", "b"] } },
      verb: "create",
      resourceRequest: true,
      apiGroup: "apps",
      apiVersion: "*",
      resource: "deployments",
      subresource: "scale",
      namespace: "",
      name: "d",
      path: "",
    });
  });

  it.each([
    [
      "empty spec",
      {},
      '.authorization.k8s.io "" is invalid: [spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified, spec.user: Invalid value: "": at least one of user or group must be specified]',
    ],
    [
      "both kinds of attributes",
      {
        spec: {
          user: "u",
          resourceAttributes: { verb: "get" },
          nonResourceAttributes: { path: "/x", verb: "get" },
        },
      },
      '.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: {"path":"/x","verb":"get"}: cannot be specified in combination with resourceAttributes',
    ],
    [
      "metadata",
      { metadata: { name: "x" }, spec: { user: "u", resourceAttributes: { verb: "get" } } },
      '.authorization.k8s.io "" is invalid: metadata: Invalid value: {"name":"x"}: must be empty',
    ],
  ])("rejects %s with 422", async (_name, body, message) => {
    const { reviews, seen } = fixedReviews({ decision: "allow", reason: "" });
    const err = await rejection(reviews.subjectAccessReview(systemContext(), sar(body as JsonObject)));
    expect([err.code, err.reason, err.message]).toEqual([422, "Invalid", message]);
    expect(seen).toHaveLength(0);
  });

  it("ignores a namespace in the metadata of the cluster-scoped review", async () => {
    const { reviews } = fixedReviews({ decision: "allow", reason: "" });
    const out = await reviews.subjectAccessReview(
      systemContext(),
      sar({ metadata: { namespace: "x" }, spec: { user: "u", resourceAttributes: { verb: "get" } } }),
    );
    expect(out.status?.allowed).toBe(true);
  });
});

describe("LocalSubjectAccessReview", () => {
  it("answers when the namespaces agree, filling metadata.namespace from the URL", async () => {
    const reviews = await realReviews();
    const review = sar({
      spec: { user: "alice", resourceAttributes: { namespace: "ns", verb: "get", resource: "pods" } },
    });
    await expect
      .poll(async () => (await reviews.subjectAccessReview(systemContext(), review, "ns")).status?.allowed)
      .toBe(true);
    expect((await reviews.subjectAccessReview(systemContext(), review, "ns")).metadata?.namespace).toBe("ns");
  });

  it.each([
    [
      "another namespace in the attributes",
      { spec: { user: "u", resourceAttributes: { namespace: "other", verb: "get", resource: "pods" } } },
      422,
      '.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace',
    ],
    [
      "non-resource attributes",
      { spec: { user: "u", nonResourceAttributes: { path: "/x", verb: "get" } } },
      422,
      '.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: {"path":"/x","verb":"get"}: disallowed on this kind of request',
    ],
    [
      "metadata besides the namespace",
      {
        metadata: { name: "n", namespace: "ns" },
        spec: { user: "u", resourceAttributes: { namespace: "ns", verb: "get" } },
      },
      422,
      '.authorization.k8s.io "" is invalid: metadata: Invalid value: {"name":"n","namespace":"ns"}: must be empty except for namespace',
    ],
    [
      "a metadata namespace other than the URL's",
      {
        metadata: { namespace: "other" },
        spec: { user: "u", resourceAttributes: { namespace: "other", verb: "get" } },
      },
      400,
      "the namespace of the provided object does not match the namespace sent on the request",
    ],
  ])("rejects %s", async (_name, body, code, message) => {
    const { reviews } = fixedReviews({ decision: "allow", reason: "" });
    const err = await rejection(reviews.subjectAccessReview(systemContext(), sar(body as JsonObject), "ns"));
    expect([err.code, err.message]).toEqual([code, message]);
  });
});

describe("SelfSubjectAccessReview", () => {
  it("answers for the requesting user", async () => {
    const reviews = await realReviews();
    const sa = asUser(serviceAccountUser("any", "sa"));
    await expect
      .poll(
        async () =>
          (
            await reviews.selfSubjectAccessReview(
              sa,
              ssar({ spec: { nonResourceAttributes: { path: "/openid/v1/jwks", verb: "get" } } }),
            )
          ).status,
      )
      .toEqual(
        create(authzv1.SubjectAccessReviewStatusSchema, {
          allowed: true,
          reason:
            'RBAC: allowed by ClusterRoleBinding "system:service-account-issuer-discovery" of ClusterRole "system:service-account-issuer-discovery" to Group "system:serviceaccounts"',
        }),
      );
    const out = await reviews.selfSubjectAccessReview(
      sa,
      ssar({ spec: { resourceAttributes: { namespace: "ns", verb: "get", resource: "secrets" } } }),
    );
    expect(out.status).toEqual(create(authzv1.SubjectAccessReviewStatusSchema, {}));
    expect(out.spec?.resourceAttributes?.resource).toBe("secrets");
  });

  it.each([
    [
      "no attributes",
      {},
      '.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
    ],
    [
      "metadata",
      { metadata: { labels: { a: "b" } }, spec: { resourceAttributes: { verb: "get" } } },
      '.authorization.k8s.io "" is invalid: metadata: Invalid value: {"labels":{"a":"b"}}: must be empty',
    ],
  ])("rejects %s with 422", async (_name, body, message) => {
    const { reviews } = fixedReviews({ decision: "allow", reason: "" });
    const err = await rejection(reviews.selfSubjectAccessReview(systemContext(), ssar(body as JsonObject)));
    expect([err.code, err.message]).toEqual([422, message]);
  });
});

describe("SelfSubjectRulesReview", () => {
  it("lists the requesting user's rules in the namespace, status only", async () => {
    const reviews = await realReviews();
    const alice = asUser(user("alice", ["system:authenticated"]));
    await expect
      .poll(
        async () =>
          (await reviews.selfSubjectRulesReview(alice, ssrr({ spec: { namespace: "ns" } }))).status
            ?.resourceRules.length,
      )
      .toBe(3);
    const out = await reviews.selfSubjectRulesReview(
      alice,
      ssrr({ metadata: { name: "x" }, spec: { namespace: "ns" } }),
    );
    expect(out.metadata).toBeUndefined();
    expect(out.spec).toBeUndefined();
    expect(out.status).toEqual(
      create(authzv1.SubjectRulesReviewStatusSchema, {
        // ClusterRoleBindings first (in name order), then the namespace's RoleBindings.
        resourceRules: [
          {
            verbs: ["create"],
            apiGroups: ["authorization.k8s.io"],
            resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
          },
          { verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"] },
          { verbs: ["get"], apiGroups: [""], resources: ["pods"] },
        ],
        nonResourceRules: [
          {
            verbs: ["get"],
            nonResourceURLs: [
              "/api",
              "/api/*",
              "/apis",
              "/apis/*",
              "/healthz",
              "/livez",
              "/openapi",
              "/openapi/*",
              "/readyz",
              "/version",
              "/version/",
            ],
          },
          { verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"] },
        ],
      }),
    );
  });

  it("requires a namespace", async () => {
    const { reviews } = fixedReviews({ decision: "allow", reason: "" });
    const err = await rejection(reviews.selfSubjectRulesReview(systemContext(), ssrr({ spec: {} })));
    expect([err.code, err.reason, err.message]).toEqual([400, "BadRequest", "no namespace on request"]);
  });
});
