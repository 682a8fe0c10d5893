import { resourceFor } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import { unknownPatchFields, withoutDirectives } from "./handle-patch.js";

const sa = resourceFor("", "serviceaccounts")!;
const pods = resourceFor("", "pods")!;

describe("patch documents and fieldValidation", () => {
  it("drops strategic merge directives", () => {
    expect(
      withoutDirectives({
        $patch: "replace",
        "$setElementOrder/containers": [{ name: "a" }],
        spec: {
          containers: [
            { name: "a", $patch: "delete" },
            { name: "b", image: "x" },
          ],
          $retainKeys: ["x"],
        },
      }),
    ).toEqual({ spec: { containers: [{ name: "b", image: "x" }] } });
  });

  it("finds the fields a patch sets that the kind does not have", () => {
    expect(unknownPatchFields(sa, { imagePullSecrets: [{ name: "a" }] })).toEqual([]);
    expect(
      unknownPatchFields(sa, { imagePullSecret: [{ name: "a" }], metadata: { labels: null, nam: "x" } }),
    ).toEqual(["imagePullSecret", "metadata.nam"]);
    expect(
      unknownPatchFields(pods, {
        spec: {
          "$setElementOrder/containers": [{ name: "a" }],
          containers: [{ name: "a", imagePolicy: "x" }],
        },
      }),
    ).toEqual(["spec.containers[0].imagePolicy"]);
    // not an object, or a type error the patch step will report: nothing to say here
    expect(unknownPatchFields(sa, [1, 2])).toEqual([]);
    expect(unknownPatchFields(sa, { automountServiceAccountToken: "yes", foo: 1 })).toEqual([]);
  });
});
