/**
 * The live read and the background start of the cache, with a fake ObjectService. The informer
 * against real NATS and the apiserver is covered by test/admission.test.ts.
 */
import { create } from "@bufbuild/protobuf";
import { newNotFound, newServiceUnavailable, StatusError } from "@tokenplane/apimachinery";
import { corev1, tokenplanev1 } from "@tokenplane/proto";
import { type ApiserverClient, createLogger } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import { serviceAccountClient, startServiceAccountCache } from "./service-account-sources.js";

type Objects = ApiserverClient["objects"];

const lines: Array<Record<string, unknown>> = [];
const log = createLogger({
  service: "test",
  level: "info",
  pretty: false,
  destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
});

/** An ObjectService whose `get` answers with `answer` and records the requests. */
function fakeObjects(answer: (name: string) => tokenplanev1.KubeObject): {
  objects: Objects;
  gets: string[];
} {
  const gets: string[] = [];
  const objects = {
    get: async (req: { group?: string; resource?: string; namespace?: string; name?: string }) => {
      gets.push(`${req.group}|${req.resource}|${req.namespace}|${req.name}`);
      return answer(req.name ?? "");
    },
  } as unknown as Objects;
  return { objects, gets };
}

const sa = create(corev1.ServiceAccountSchema, { metadata: { name: "robot", namespace: "ns1" } });

describe("serviceAccountClient", () => {
  it("reads the account with a get of core serviceaccounts", async () => {
    const { objects, gets } = fakeObjects(() =>
      create(tokenplanev1.KubeObjectSchema, { object: { case: "serviceAccount", value: sa } }),
    );
    expect(await serviceAccountClient(objects).get("ns1", "robot")).toBe(sa);
    expect(gets).toEqual(["|serviceaccounts|ns1|robot"]);
  });

  it("says undefined on NotFound", async () => {
    const { objects } = fakeObjects((name) => {
      throw newNotFound({ group: "", resource: "serviceaccounts" }, name);
    });
    expect(await serviceAccountClient(objects).get("ns1", "robot")).toBeUndefined();
  });

  it("rejects with other failures", async () => {
    const { objects } = fakeObjects(() => {
      throw newServiceUnavailable("cannot reach 127.0.0.1:6444");
    });
    const err = await serviceAccountClient(objects)
      .get("ns1", "robot")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(503);
  });

  it("rejects an answer of another kind", async () => {
    const { objects } = fakeObjects(() =>
      create(tokenplanev1.KubeObjectSchema, {
        object: { case: "secret", value: create(corev1.SecretSchema) },
      }),
    );
    await expect(serviceAccountClient(objects).get("ns1", "robot")).rejects.toThrow(
      "apiserver answered a serviceaccounts get with a secret",
    );
  });
});

describe("startServiceAccountCache", () => {
  it("serves misses at once while NATS is not there, and stops without waiting for it", async () => {
    const { objects } = fakeObjects(() => {
      throw new Error("not called");
    });
    const cache = startServiceAccountCache({ objects, connectNats: () => new Promise(() => {}), log });
    expect(cache.get("ns1", "robot")).toBeUndefined();
    expect(cache.hasSynced()).toBe(false);
    await cache.stop();
    expect(cache.hasSynced()).toBe(false);
  });

  it("keeps answering misses when the cache cannot start", async () => {
    const { objects } = fakeObjects(() => {
      throw new Error("not called");
    });
    const cache = startServiceAccountCache({
      objects,
      connectNats: () => Promise.reject(new Error("nats refused")),
      log,
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(lines.map((l) => l.msg)).toEqual([
      "the serviceaccount cache did not start; every lookup reads the apiserver",
    ]);
    expect(cache.get("ns1", "robot")).toBeUndefined();
    expect(cache.hasSynced()).toBe(false);
    await cache.stop();
  });
});
