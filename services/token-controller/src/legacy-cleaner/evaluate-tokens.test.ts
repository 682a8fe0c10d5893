import { create } from "@bufbuild/protobuf";
import { timeFromMs } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import {
  type CleanerInput,
  evaluateLegacyTokens,
  latestPossibleTrackedSince,
  parseDate,
} from "./evaluate-tokens.js";

const NOW = Date.parse("2024-06-10T12:00:00Z");
const DAY = 24 * 60 * 60 * 1000;

interface SecretSpec {
  name?: string;
  namespace?: string;
  type?: string;
  created?: number;
  deleting?: boolean;
  labels?: Record<string, string>;
  saName?: string;
  saUID?: string;
}
function secret(s: SecretSpec = {}): corev1.Secret {
  return create(corev1.SecretSchema, {
    metadata: {
      name: s.name ?? "tok",
      namespace: s.namespace ?? "ns",
      uid: "s-uid",
      resourceVersion: "42",
      creationTimestamp: timeFromMs(s.created ?? Date.parse("2024-06-01T00:00:00Z")),
      ...(s.deleting ? { deletionTimestamp: timeFromMs(NOW - 1000) } : {}),
      labels: s.labels ?? {},
      annotations: {
        ...(s.saName === "" ? {} : { "kubernetes.io/service-account.name": s.saName ?? "ro" }),
        ...(s.saUID === "" ? {} : { "kubernetes.io/service-account.uid": s.saUID ?? "sa-uid" }),
      },
    },
    type: s.type ?? "kubernetes.io/service-account-token",
  });
}
const sa = (secrets: string[] = ["tok"], uid = "sa-uid") =>
  create(corev1.ServiceAccountSchema, {
    metadata: { name: "ro", namespace: "ns", uid },
    secrets: secrets.map((name) => ({ name })),
  });
const podMounting = (namespace: string, secretName: string) =>
  create(corev1.PodSchema, {
    metadata: { name: "p", namespace },
    spec: { volumes: [{ name: "v", volumeSource: { secret: { secretName } } }] },
  });

function input(
  over: Partial<CleanerInput> & { sa?: corev1.ServiceAccount | null; pods?: corev1.Pod[] } = {},
) {
  const account = over.sa === undefined ? sa() : over.sa;
  return {
    now: NOW,
    cleanUpPeriodMs: DAY,
    trackedSince: Date.parse("2024-01-02T00:00:00Z"),
    secrets: [secret()],
    getServiceAccount: (ns: string, name: string) =>
      account !== null && ns === "ns" && name === account.metadata?.name ? account : undefined,
    podsIn: (ns: string) => (over.pods ?? []).filter((p) => p.metadata?.namespace === ns),
    ...over,
  } satisfies CleanerInput;
}

const PATCH_TODAY =
  '{"kind":"Secret","apiVersion":"v1","metadata":{"name":"tok","namespace":"ns","uid":"s-uid","labels":{"kubernetes.io/legacy-token-invalid-since":"2024-06-10"}}}';

/** The decision for the one secret, as a short string. */
function decide(i: CleanerInput): string {
  const run = evaluateLegacyTokens(i);
  if (run.skipped !== undefined) return `skip run: ${run.skipped}`;
  if (run.decisions.length === 0) return "none";
  const d = run.decisions[0]!;
  if ("keep" in d) return `keep: ${d.keep}`;
  return d.action.verb;
}

describe("parseDate (time.Parse 2006-01-02)", () => {
  const cases: Array<[string, number | undefined]> = [
    ["2024-06-10", Date.UTC(2024, 5, 10)],
    ["2024-02-29", Date.UTC(2024, 1, 29)],
    ["2023-02-29", undefined],
    ["2024-13-01", undefined],
    ["2024-6-10", undefined],
    ["2024-06-10T00:00:00Z", undefined],
    ["", undefined],
  ];
  for (const [text, want] of cases) it(JSON.stringify(text), () => expect(parseDate(text)).toBe(want));
});

describe("latestPossibleTrackedSince", () => {
  const cm = (data: Record<string, string>) => create(corev1.ConfigMapSchema, { data });
  it("is 00:00 UTC of the day after since", () => {
    expect(latestPossibleTrackedSince(cm({ since: "2024-01-01" }))).toEqual({ value: Date.UTC(2024, 0, 2) });
  });
  it("fails without since or with a bad date", () => {
    expect(latestPossibleTrackedSince(cm({}))).toEqual({ error: "configMap does not have since label" });
    expect("error" in latestPossibleTrackedSince(cm({ since: "yesterday" }))).toBe(true);
  });
});

describe("evaluateLegacyTokens (reference §4.5)", () => {
  const cases: Array<[string, CleanerInput, string]> = [
    // 1. the run as a whole
    [
      "tracked for less than a period: skip the run",
      input({ trackedSince: Date.parse("2024-06-10T00:00:00Z") }),
      "skip run: not-tracked-long-enough",
    ],
    ["tracked exactly a period: run", input({ trackedSince: NOW - DAY }), "patch"],
    // 3. skip rules, in order
    ["not a token Secret: not looked at", input({ secrets: [secret({ type: "Opaque" })] }), "none"],
    [
      "created exactly at now − period: kept",
      input({ secrets: [secret({ created: NOW - DAY })] }),
      "keep: created-recently",
    ],
    [
      "created after now − period: kept",
      input({ secrets: [secret({ created: NOW - 1000 })] }),
      "keep: created-recently",
    ],
    [
      "created a second before now − period: looked at",
      input({ secrets: [secret({ created: NOW - DAY - 1000 })] }),
      "patch",
    ],
    ["being deleted: kept", input({ secrets: [secret({ deleting: true })] }), "keep: being-deleted"],
    [
      "last used unparsable: kept",
      input({ secrets: [secret({ labels: { "kubernetes.io/legacy-token-last-used": "06/01/2024" } })] }),
      "keep: last-used-unparsable",
    ],
    [
      "last used on an impossible date: kept",
      input({ secrets: [secret({ labels: { "kubernetes.io/legacy-token-last-used": "2024-02-30" } })] }),
      "keep: last-used-unparsable",
    ],
    [
      "last used on the date of now − period: kept",
      input({ secrets: [secret({ labels: { "kubernetes.io/legacy-token-last-used": "2024-06-09" } })] }),
      "keep: used-recently",
    ],
    [
      "last used today: kept",
      input({ secrets: [secret({ labels: { "kubernetes.io/legacy-token-last-used": "2024-06-10" } })] }),
      "keep: used-recently",
    ],
    [
      "last used before: looked at",
      input({ secrets: [secret({ labels: { "kubernetes.io/legacy-token-last-used": "2024-06-08" } })] }),
      "patch",
    ],
    ["service account missing: kept", input({ sa: null }), "keep: manual-or-orphaned"],
    ["service account of another uid: kept", input({ sa: sa(["tok"], "other") }), "keep: manual-or-orphaned"],
    [
      "manual token (not in sa.secrets): kept",
      input({ sa: sa(["something-else"]) }),
      "keep: manual-or-orphaned",
    ],
    [
      "no service account name annotation: kept",
      input({ secrets: [secret({ saName: "" })] }),
      "keep: manual-or-orphaned",
    ],
    ["no uid annotation: any uid matches", input({ secrets: [secret({ saUID: "" })] }), "patch"],
    [
      "mounted by a pod in its namespace: kept",
      input({ pods: [podMounting("ns", "tok")] }),
      "keep: mounted-by-pod",
    ],
    [
      "a pod elsewhere does not count",
      input({ pods: [podMounting("other", "tok"), podMounting("ns", "x")] }),
      "patch",
    ],
    // 4./5. invalid-since
    [
      "invalid-since unparsable: labelled again",
      input({ secrets: [secret({ labels: { "kubernetes.io/legacy-token-invalid-since": "soon" } })] }),
      "patch",
    ],
    [
      "invalid since the date of now − period: kept",
      input({ secrets: [secret({ labels: { "kubernetes.io/legacy-token-invalid-since": "2024-06-09" } })] }),
      "keep: invalid-recently",
    ],
    [
      "invalid since before: deleted",
      input({ secrets: [secret({ labels: { "kubernetes.io/legacy-token-invalid-since": "2024-06-08" } })] }),
      "delete",
    ],
  ];
  for (const [name, i, want] of cases) it(name, () => expect(decide(i)).toBe(want));

  it("labels with a merge patch carrying the uid and today's date", () => {
    expect(evaluateLegacyTokens(input())).toEqual({
      decisions: [
        {
          secret: "ns/tok",
          action: {
            verb: "patch",
            resource: "secrets",
            namespace: "ns",
            name: "tok",
            patch: PATCH_TODAY,
            tolerate: [],
          },
        },
      ],
    });
  });

  it("deletes with the resourceVersion as precondition, tolerating Conflict and NotFound", () => {
    const run = evaluateLegacyTokens(
      input({ secrets: [secret({ labels: { "kubernetes.io/legacy-token-invalid-since": "2024-06-01" } })] }),
    );
    expect(run).toEqual({
      decisions: [
        {
          secret: "ns/tok",
          action: {
            verb: "delete",
            resource: "secrets",
            namespace: "ns",
            name: "tok",
            preconditions: { resourceVersion: "42" },
            tolerate: ["Conflict", "NotFound"],
          },
        },
      ],
    });
  });
});
