import { newForbidden, newNotFound } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import {
  getServiceAccount,
  type ServiceAccountClient,
  type ServiceAccountLister,
  serviceAccountGetter,
} from "./service-account-getter.js";
import { serviceAccount, statusErrorOf } from "./test-fixtures.js";

/** A lister over a fixed set of cached accounts, keyed `ns/name`. */
function listerOf(...cached: corev1.ServiceAccount[]): ServiceAccountLister & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    get(namespace, name) {
      calls.push(`${namespace}/${name}`);
      return cached.find((sa) => sa.metadata?.namespace === namespace && sa.metadata.name === name);
    },
  };
}

/**
 * A client whose answer to the n-th call (1-based) is `answers[n-1]`; past the end it answers the
 * last entry. An Error entry is thrown.
 */
function clientAnswering(
  ...answers: Array<corev1.ServiceAccount | undefined | Error>
): ServiceAccountClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async get(namespace, name) {
      calls.push(`${namespace}/${name}`);
      const answer = answers[Math.min(calls.length, answers.length) - 1];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

/** A sleep that records the requested pauses and returns at once. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; pauses: number[] } {
  const pauses: number[] = [];
  return { pauses, sleep: async (ms) => void pauses.push(ms) };
}

describe("getServiceAccount (reference §3.4)", () => {
  const sa = serviceAccount("sa");
  const def = serviceAccount("default");

  const cases: Array<{
    what: string;
    name: string;
    cached: corev1.ServiceAccount[];
    answers: Array<corev1.ServiceAccount | undefined>;
    random: number;
    clientCalls: number;
    pauses: number[];
    found: boolean;
  }> = [
    {
      what: "cache hit: no live read",
      name: "sa",
      cached: [sa],
      answers: [sa],
      random: 0,
      clientCalls: 0,
      pauses: [],
      found: true,
    },
    {
      what: "cache miss, live hit",
      name: "sa",
      cached: [],
      answers: [sa],
      random: 0,
      clientCalls: 1,
      pauses: [],
      found: true,
    },
    {
      what: "another name: one live read, no pause",
      name: "sa",
      cached: [],
      answers: [undefined],
      random: 0.5,
      clientCalls: 1,
      pauses: [],
      found: false,
    },
    {
      what: "default: 10 live reads, 9 equal pauses of 100 + floor(random*100) ms",
      name: "default",
      cached: [],
      answers: [undefined],
      random: 0.427,
      clientCalls: 10,
      pauses: Array(9).fill(142),
      found: false,
    },
    {
      what: "default: random 0 → 100 ms",
      name: "default",
      cached: [],
      answers: [undefined],
      random: 0,
      clientCalls: 10,
      pauses: Array(9).fill(100),
      found: false,
    },
    {
      what: "default: random just below 1 → 199 ms",
      name: "default",
      cached: [],
      answers: [undefined],
      random: 0.9999,
      clientCalls: 10,
      pauses: Array(9).fill(199),
      found: false,
    },
    {
      what: "default: a random source returning 1 still gives 199 ms",
      name: "default",
      cached: [],
      answers: [undefined],
      random: 1,
      clientCalls: 10,
      pauses: Array(9).fill(199),
      found: false,
    },
    {
      what: "default found on the 3rd live read: stops there",
      name: "default",
      cached: [],
      answers: [undefined, undefined, def],
      random: 0.1,
      clientCalls: 3,
      pauses: [110, 110],
      found: true,
    },
    {
      what: "default in the cache: no live read",
      name: "default",
      cached: [def],
      answers: [undefined],
      random: 0,
      clientCalls: 0,
      pauses: [],
      found: true,
    },
  ];

  it.each(cases)("$what", async ({ name, cached, answers, random, clientCalls, pauses, found }) => {
    const lister = listerOf(...cached);
    const client = clientAnswering(...answers);
    const { sleep, pauses: slept } = recordingSleep();
    const get = getServiceAccount({ lister, client, sleep, random: () => random }, "ns1", name);
    if (found) {
      expect((await get).metadata?.name).toBe(name);
    } else {
      const err = await statusErrorOf(get);
      expect(err.code).toBe(404);
      expect(err.reason).toBe("NotFound");
      expect(err.message).toBe(`serviceaccount "${name}" not found`);
      expect(err.status.details).toEqual({ name, kind: "serviceaccount" });
    }
    expect(lister.calls).toEqual([`ns1/${name}`]);
    expect(client.calls).toEqual(Array(clientCalls).fill(`ns1/${name}`));
    expect(slept).toEqual(pauses);
    for (const ms of slept) {
      expect(ms).toBeGreaterThanOrEqual(100);
      expect(ms).toBeLessThanOrEqual(199);
    }
  });

  it("returns the cached object itself (the caller must not modify it)", async () => {
    const got = await getServiceAccount(
      { lister: listerOf(sa), client: clientAnswering(undefined) },
      "ns1",
      "sa",
    );
    expect(got).toBe(sa);
  });

  it("does not find an account of the same name in another namespace", async () => {
    const client = clientAnswering(undefined);
    const err = await statusErrorOf(getServiceAccount({ lister: listerOf(sa), client }, "other", "sa"));
    expect(err.message).toBe('serviceaccount "sa" not found');
    expect(client.calls).toEqual(["other/sa"]);
  });

  it("treats a NotFound thrown by the lister or the client as a miss", async () => {
    const lister: ServiceAccountLister = {
      get: () => {
        throw newNotFound({ group: "", resource: "serviceaccounts" }, "sa");
      },
    };
    const client = clientAnswering(newNotFound({ group: "", resource: "serviceaccounts" }, "sa"));
    const err = await statusErrorOf(getServiceAccount({ lister, client }, "ns1", "sa"));
    expect(err.message).toBe('serviceaccount "sa" not found');
    expect(client.calls).toHaveLength(1);
  });

  it("throws a lister error other than NotFound without a live read", async () => {
    const boom = new Error("cache broken");
    const lister: ServiceAccountLister = {
      get: () => {
        throw boom;
      },
    };
    const client = clientAnswering(sa);
    await expect(getServiceAccount({ lister, client }, "ns1", "sa")).rejects.toBe(boom);
    expect(client.calls).toEqual([]);
  });

  it("stops retrying `default` at the first client error other than NotFound", async () => {
    const denied = newForbidden({ group: "", resource: "serviceaccounts" }, "default", "no");
    const client = clientAnswering(undefined, denied);
    const { sleep, pauses } = recordingSleep();
    await expect(
      getServiceAccount({ lister: listerOf(), client, sleep, random: () => 0 }, "ns1", "default"),
    ).rejects.toBe(denied);
    expect(client.calls).toHaveLength(2);
    expect(pauses).toEqual([100]);
  });

  it("serviceAccountGetter binds the dependencies", async () => {
    const get = serviceAccountGetter({ lister: listerOf(sa), client: clientAnswering(undefined) });
    expect(await get("ns1", "sa")).toBe(sa);
  });
});
