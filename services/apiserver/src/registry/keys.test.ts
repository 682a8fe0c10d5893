import { resourceFor } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import { keyPrefix, objectKey, parseObjectKey, resourcePrefix } from "./keys.js";

const SA = resourceFor("", "serviceaccounts")!;
const CRB = resourceFor("rbac.authorization.k8s.io", "clusterrolebindings")!;

describe("keys", () => {
  it("follow /registry/<group or core>/<resource>/[<namespace>/]<name>", () => {
    expect(objectKey(SA, "team", "default")).toBe("/registry/core/serviceaccounts/team/default");
    expect(objectKey(CRB, "", "admin")).toBe("/registry/rbac.authorization.k8s.io/clusterrolebindings/admin");
    expect([keyPrefix(SA, "team"), keyPrefix(SA, ""), resourcePrefix(CRB)]).toEqual([
      "/registry/core/serviceaccounts/team/",
      "/registry/core/serviceaccounts/",
      "/registry/rbac.authorization.k8s.io/clusterrolebindings/",
    ]);
  });
  it("parse back", () => {
    expect(parseObjectKey("/registry/core/serviceaccounts/team/default")).toEqual({
      info: SA,
      namespace: "team",
      name: "default",
    });
    expect(parseObjectKey("/registry/rbac.authorization.k8s.io/clusterrolebindings/admin")).toEqual({
      info: CRB,
      namespace: "",
      name: "admin",
    });
    expect(parseObjectKey("/registry/core/serviceaccounts/default")).toBeUndefined();
    expect(parseObjectKey("/registry/core/tokenreviews/x")).toBeUndefined();
    expect(parseObjectKey("/outbox/1")).toBeUndefined();
  });
});
