import { create } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { ensureServiceAccounts } from "./ensure-service-accounts.js";

const ns = (name: string, phase: string) =>
  create(corev1.NamespaceSchema, { metadata: { name, uid: `uid-${name}` }, status: { phase } });
const defaultSA = (namespace: string) =>
  create(corev1.ServiceAccountSchema, { metadata: { name: "default", namespace } });

describe("ensureServiceAccounts (reference §4.1)", () => {
  const cases: Array<{
    name: string;
    namespace: corev1.Namespace | undefined;
    existing: string[];
    toEnsure?: string[];
    want: string[];
  }> = [
    { name: "namespace not in the cache: nothing", namespace: undefined, existing: [], want: [] },
    { name: "terminating namespace: nothing", namespace: ns("a", "Terminating"), existing: [], want: [] },
    { name: "namespace without phase: nothing", namespace: ns("a", ""), existing: [], want: [] },
    {
      name: "active, default missing: create it",
      namespace: ns("a", "Active"),
      existing: [],
      want: ["a/default"],
    },
    {
      name: "active, default present: nothing",
      namespace: ns("a", "Active"),
      existing: ["a/default"],
      want: [],
    },
    {
      name: "a default in another namespace does not count",
      namespace: ns("a", "Active"),
      existing: ["b/default"],
      want: ["a/default"],
    },
    {
      name: "several to ensure: only the missing ones",
      namespace: ns("a", "Active"),
      existing: ["a/builder"],
      toEnsure: ["default", "builder", "deployer"],
      want: ["a/default", "a/deployer"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const actions = ensureServiceAccounts(
        c.namespace,
        (namespace, name) => c.existing.includes(`${namespace}/${name}`),
        ...(c.toEnsure ? [c.toEnsure] : []),
      );
      expect(
        actions.map((a) =>
          a.verb === "create" ? `${a.object.metadata?.namespace}/${a.object.metadata?.name}` : a.verb,
        ),
      ).toEqual(c.want);
    });
  }

  it("creates exactly {metadata:{name, namespace}}, tolerating AlreadyExists and NamespaceTerminating", () => {
    expect(ensureServiceAccounts(ns("team-a", "Active"), () => false)).toEqual([
      {
        verb: "create",
        resource: "serviceaccounts",
        object: defaultSA("team-a"),
        tolerate: ["AlreadyExists", "NamespaceTerminating"],
      },
    ]);
  });
});
