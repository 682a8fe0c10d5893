import { create } from "@bufbuild/protobuf";
import { resourceFor } from "@tokenplane/apimachinery";
import { tokenplanev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import {
  decodeSubjectToken,
  encodeSubjectToken,
  lifecycleEventCodec,
  lifecycleEventSubject,
  namespaceEventsFilter,
  newLifecycleEvent,
  parseResourceVersion,
  resourceEventsFilter,
} from "./lifecycle-events.js";

describe("encodeSubjectToken", () => {
  it.each([
    ["builder", "builder"],
    ["kube-root-ca.crt", "kube-root-ca%2Ecrt"],
    ["system:controller:token-cleaner", "system:controller:token-cleaner"],
    ["a*b", "a%2Ab"],
    ["a>b", "a%3Eb"],
    ["*", "%2A"],
    [">", "%3E"],
    ["100%", "100%25"],
    ["two words", "two%20words"],
    ["tab\there", "tab%09here"],
    ["line\nbreak", "line%0Abreak"],
    ["café", "caf%C3%A9"],
    ["Upper_Case~ok", "Upper_Case~ok"],
    ["rbac.authorization.k8s.io", "rbac%2Eauthorization%2Ek8s%2Eio"],
  ])("%j → %s and back", (name, token) => {
    expect(encodeSubjectToken(name)).toBe(token);
    expect(token).toMatch(/^[^\s.*>]+$/);
    expect(decodeSubjectToken(token)).toBe(name);
  });

  it("refuses an empty name", () => {
    expect(() => encodeSubjectToken("")).toThrow(
      new TypeError("cannot make a subject token of an empty string"),
    );
  });
});

describe("subjects", () => {
  it.each([
    [
      { group: "", resource: "serviceaccounts", namespace: "default", name: "builder" },
      "tokenplane.events.core.serviceaccounts.default.builder",
    ],
    [
      { group: "", resource: "namespaces", namespace: "", name: "kube-system" },
      "tokenplane.events.core.namespaces._.kube-system",
    ],
    [
      { group: "", resource: "configmaps", namespace: "ns1", name: "kube-root-ca.crt" },
      "tokenplane.events.core.configmaps.ns1.kube-root-ca%2Ecrt",
    ],
    [
      { group: "rbac.authorization.k8s.io", resource: "clusterroles", namespace: "", name: "system:node" },
      "tokenplane.events.rbac%2Eauthorization%2Ek8s%2Eio.clusterroles._.system:node",
    ],
  ])("%j → %s", (address, subject) => {
    expect(lifecycleEventSubject(address)).toBe(subject);
  });

  it("filters a resource, and a resource in one namespace", () => {
    const pods = resourceFor("", "pods")!;
    const roles = resourceFor("rbac.authorization.k8s.io", "roles")!;
    expect(resourceEventsFilter(pods)).toBe("tokenplane.events.core.pods.>");
    expect(namespaceEventsFilter(pods, "ns1")).toBe("tokenplane.events.core.pods.ns1.*");
    expect(namespaceEventsFilter(resourceFor("", "nodes")!, "")).toBe("tokenplane.events.core.nodes._.*");
    expect(resourceEventsFilter(roles)).toBe("tokenplane.events.rbac%2Eauthorization%2Ek8s%2Eio.roles.>");
  });
});

describe("newLifecycleEvent", () => {
  it("takes the address and resourceVersion from the object", () => {
    const object = create(tokenplanev1.KubeObjectSchema, {
      object: {
        case: "serviceAccount",
        value: { metadata: { name: "robot", namespace: "ns1", resourceVersion: "42" } },
      },
    });
    const event = newLifecycleEvent("MODIFIED", object);
    expect([
      event.type,
      event.group,
      event.resource,
      event.namespace,
      event.name,
      event.resourceVersion,
    ]).toEqual([tokenplanev1.EventType.MODIFIED, "", "serviceaccounts", "ns1", "robot", 42n]);
    expect(lifecycleEventCodec.decode(lifecycleEventCodec.encode(event))).toEqual(event);
  });

  it("leaves the namespace out for cluster-scoped kinds and refuses a bad resourceVersion", () => {
    const ns = create(tokenplanev1.KubeObjectSchema, {
      object: {
        case: "namespace",
        value: { metadata: { name: "ns1", namespace: "ignored", resourceVersion: "7" } },
      },
    });
    expect(newLifecycleEvent("ADDED", ns).namespace).toBe("");
    const bad = create(tokenplanev1.KubeObjectSchema, {
      object: { case: "namespace", value: { metadata: { name: "ns1", resourceVersion: "07" } } },
    });
    expect(() => newLifecycleEvent("ADDED", bad)).toThrow(
      new TypeError('namespaces "ns1": invalid resourceVersion "07"'),
    );
  });

  it.each([
    ["0", 0n],
    ["1", 1n],
    ["18446744073709551615", 18446744073709551615n],
    ["", undefined],
    ["-1", undefined],
    ["1e3", undefined],
    ["01", undefined],
  ])("parseResourceVersion(%j) = %s", (rv, want) => {
    expect(parseResourceVersion(rv)).toBe(want);
  });
});
