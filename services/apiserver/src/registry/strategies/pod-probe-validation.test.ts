import { fieldErrorString, isHTTPHeaderName, isValidPortName } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { invalidText, objectFrom } from "../test-objects.js";
import { podStrategy as s } from "./pod.js";
import { validatePodSpec } from "./pod-validation.js";

/** A defaulted pod whose only container carries `container` on top of a name and an image. */
const pod = (container: Record<string, unknown>, specJson: Record<string, unknown> = {}) => {
  const p = objectFrom(corev1.PodSchema, {
    metadata: { name: "p", namespace: "ns", resourceVersion: "1" },
    spec: { containers: [{ name: "c", image: "busybox:1.36", ...container }], ...specJson },
  } as never);
  s.default(p);
  return p;
};
const errors = (p: corev1.Pod) => s.validate(p).map(fieldErrorString);
const c0 = "spec.containers[0]";

describe("probe validation (validateProbe, validateHandler)", () => {
  it("accepts every handler type and a lifecycle hook", () => {
    for (const probe of [
      { exec: { command: ["true"] } },
      { httpGet: { port: "http", httpHeaders: [{ name: "X-Probe", value: "1" }] } },
      { httpGet: { port: 8080, scheme: "HTTPS" } },
      { tcpSocket: { port: 65535 } },
      { grpc: { port: 1 } },
    ]) {
      expect(
        errors(pod({ livenessProbe: probe, readinessProbe: probe, startupProbe: probe })),
        JSON.stringify(probe),
      ).toEqual([]);
    }
    expect(
      errors(
        pod({
          livenessProbe: { httpGet: { port: 80 }, terminationGracePeriodSeconds: 5 },
          lifecycle: { postStart: { exec: { command: ["true"] } }, preStop: { sleep: { seconds: 30 } } },
        }),
      ),
    ).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "no handler",
      { livenessProbe: { periodSeconds: 3 } },
      [`${c0}.livenessProbe: Required value: must specify a handler type`],
    ],
    [
      "two handlers: the later one is Forbidden at its own path",
      { readinessProbe: { exec: { command: ["true"] }, tcpSocket: { port: 80 }, grpc: { port: 0 } } },
      [
        `${c0}.readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`,
        `${c0}.readinessProbe.grpc: Forbidden: may not specify more than 1 handler type`,
      ],
    ],
    [
      "exec without a command",
      { startupProbe: { exec: {} } },
      [`${c0}.startupProbe.exec.command: Required value`],
    ],
    [
      "negative numbers (ValidateNonnegativeField)",
      {
        readinessProbe: {
          tcpSocket: { port: 80 },
          initialDelaySeconds: -1,
          timeoutSeconds: -2,
          periodSeconds: -3,
          successThreshold: -4,
          failureThreshold: -5,
        },
      },
      [
        `${c0}.readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0`,
        `${c0}.readinessProbe.timeoutSeconds: Invalid value: -2: must be greater than or equal to 0`,
        `${c0}.readinessProbe.periodSeconds: Invalid value: -3: must be greater than or equal to 0`,
        `${c0}.readinessProbe.successThreshold: Invalid value: -4: must be greater than or equal to 0`,
        `${c0}.readinessProbe.failureThreshold: Invalid value: -5: must be greater than or equal to 0`,
      ],
    ],
    [
      "liveness successThreshold must be 1",
      { livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } },
      [`${c0}.livenessProbe.successThreshold: Invalid value: 2: must be 1`],
    ],
    [
      "startup successThreshold must be 1, also after the non-negative check",
      { startupProbe: { tcpSocket: { port: 80 }, successThreshold: -1 } },
      [
        `${c0}.startupProbe.successThreshold: Invalid value: -1: must be greater than or equal to 0`,
        `${c0}.startupProbe.successThreshold: Invalid value: -1: must be 1`,
      ],
    ],
    [
      "readiness may have another successThreshold",
      { readinessProbe: { tcpSocket: { port: 80 }, successThreshold: 3 } },
      [],
    ],
    [
      "probe terminationGracePeriodSeconds must be positive",
      { livenessProbe: { tcpSocket: { port: 80 }, terminationGracePeriodSeconds: 0 } },
      [`${c0}.livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0`],
    ],
    [
      "readinessProbe may not set terminationGracePeriodSeconds",
      { readinessProbe: { tcpSocket: { port: 80 }, terminationGracePeriodSeconds: -1 } },
      [
        `${c0}.readinessProbe.terminationGracePeriodSeconds: Invalid value: -1: must be greater than 0`,
        `${c0}.readinessProbe.terminationGracePeriodSeconds: Invalid value: -1: must not be set for readinessProbes`,
      ],
    ],
    [
      "numeric port out of range",
      { livenessProbe: { tcpSocket: { port: 0 } }, readinessProbe: { httpGet: { port: 65536 } } },
      [
        `${c0}.livenessProbe.tcpSocket.port: Invalid value: 0: must be between 1 and 65535, inclusive`,
        `${c0}.readinessProbe.httpGet.port: Invalid value: 65536: must be between 1 and 65535, inclusive`,
      ],
    ],
    [
      "a tcpSocket without a port is port 0",
      { livenessProbe: { tcpSocket: {} } },
      [`${c0}.livenessProbe.tcpSocket.port: Invalid value: 0: must be between 1 and 65535, inclusive`],
    ],
    [
      "grpc port",
      { startupProbe: { grpc: { port: -1 } } },
      [`${c0}.startupProbe.grpc.port: Invalid value: -1: must be between 1 and 65535, inclusive`],
    ],
    [
      "named port (IsValidPortName)",
      { livenessProbe: { httpGet: { port: "-Web--Port_Name-" } } },
      [
        `${c0}.livenessProbe.httpGet.port: Invalid value: "-Web--Port_Name-": must be no more than 15 characters`,
        `${c0}.livenessProbe.httpGet.port: Invalid value: "-Web--Port_Name-": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
        `${c0}.livenessProbe.httpGet.port: Invalid value: "-Web--Port_Name-": must not contain consecutive hyphens`,
        `${c0}.livenessProbe.httpGet.port: Invalid value: "-Web--Port_Name-": must not begin or end with a hyphen`,
      ],
    ],
    [
      "named port without a letter",
      { readinessProbe: { tcpSocket: { port: "8080" } } },
      [`${c0}.readinessProbe.tcpSocket.port: Invalid value: "8080": must contain at least one letter (a-z)`],
    ],
    [
      "httpGet scheme and header names",
      {
        livenessProbe: {
          httpGet: { port: 80, scheme: "ftp", httpHeaders: [{ name: "X_Bad", value: "v" }, { name: "Ok" }] },
        },
      },
      [
        `${c0}.livenessProbe.httpGet.scheme: Unsupported value: "ftp": supported values: "HTTP", "HTTPS"`,
        `${c0}.livenessProbe.httpGet.httpHeaders: Invalid value: "X_Bad": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')`,
      ],
    ],
  ])("%s", (_, container, want) => {
    expect(errors(pod(container))).toEqual(want);
  });

  it("requires an httpGet path and a scheme (no defaults applied)", () => {
    const p = pod({ readinessProbe: { httpGet: { port: 80 } } });
    const http = p.spec!.containers[0]!.readinessProbe!.handler!.httpGet!;
    http.path = "";
    http.scheme = "";
    expect(errors(p)).toEqual([
      `${c0}.readinessProbe.httpGet.path: Required value`,
      `${c0}.readinessProbe.httpGet.scheme: Unsupported value: "": supported values: "HTTP", "HTTPS"`,
    ]);
  });

  it("reports probe errors with the others in one 422 message", () => {
    const p = pod({ image: "", livenessProbe: {}, readinessProbe: { grpc: { port: 0 } } });
    expect(invalidText("Pod", "p", s.validate(p))).toBe(
      `Pod "p" is invalid: [${c0}.image: Required value, ${c0}.livenessProbe: Required value: must specify a handler type, ${c0}.readinessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive]`,
    );
  });
});

describe("lifecycle validation (validateLifecycle, validateSleepAction)", () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    [
      "a hook without a handler",
      { lifecycle: { postStart: {} } },
      {},
      [`${c0}.lifecycle.postStart: Required value: must specify a handler type`],
    ],
    [
      "two hook handlers",
      { lifecycle: { preStop: { httpGet: { port: 80 }, sleep: { seconds: 1 } } } },
      {},
      [`${c0}.lifecycle.preStop.sleep: Forbidden: may not specify more than 1 handler type`],
    ],
    [
      "hook handlers are validated like probe handlers",
      { lifecycle: { postStart: { tcpSocket: { port: "a--b" } }, preStop: { exec: { command: [] } } } },
      {},
      [
        `${c0}.lifecycle.postStart.tcpSocket.port: Invalid value: "a--b": must not contain consecutive hyphens`,
        `${c0}.lifecycle.preStop.exec.command: Required value`,
      ],
    ],
    [
      "sleep of 0 seconds",
      { lifecycle: { preStop: { sleep: { seconds: 0 } } } },
      {},
      [
        `${c0}.lifecycle.preStop.sleep: Invalid value: 0: must be greater than 0 and less than terminationGracePeriodSeconds (30). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
      ],
    ],
    [
      "sleep longer than the pod's grace period",
      { lifecycle: { preStop: { sleep: { seconds: 11 } } } },
      { terminationGracePeriodSeconds: 10 },
      [
        `${c0}.lifecycle.preStop.sleep: Invalid value: 11: must be greater than 0 and less than terminationGracePeriodSeconds (10). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
      ],
    ],
    [
      "sleep equal to the grace period",
      { lifecycle: { preStop: { sleep: { seconds: 10 } } } },
      { terminationGracePeriodSeconds: 10 },
      [],
    ],
  ])("%s", (_, container, specJson, want) => {
    expect(errors(pod(container, specJson))).toEqual(want);
  });

  it("skips the sleep bound when the pod has no grace period", () => {
    const p = pod({ lifecycle: { preStop: { sleep: { seconds: 0 } } } });
    delete (p.spec as { terminationGracePeriodSeconds?: bigint }).terminationGracePeriodSeconds;
    expect(validatePodSpec(p.spec!)).toEqual([]);
  });
});

describe("where probes and hooks may appear", () => {
  it("forbids them on init containers (no restartPolicy=Always), without validating them", () => {
    const p = pod(
      {},
      {
        initContainers: [
          {
            name: "init",
            image: "busybox:1.36",
            lifecycle: { postStart: {} },
            livenessProbe: {},
            readinessProbe: { tcpSocket: { port: 80 } },
            startupProbe: { exec: { command: ["true"] } },
          },
        ],
      },
    );
    const msg = "Forbidden: may not be set for init containers without restartPolicy=Always";
    expect(errors(p)).toEqual([
      `spec.initContainers[0].lifecycle: ${msg}`,
      `spec.initContainers[0].livenessProbe: ${msg}`,
      `spec.initContainers[0].readinessProbe: ${msg}`,
      `spec.initContainers[0].startupProbe: ${msg}`,
    ]);
  });

  it("forbids them on ephemeral containers (validateFieldAllowList), in struct field order", () => {
    const p = pod(
      {},
      {
        ephemeralContainers: [
          {
            name: "debug",
            image: "busybox:1.36",
            lifecycle: { preStop: { sleep: { seconds: 1 } } },
            startupProbe: { tcpSocket: { port: 80 } },
            readinessProbe: { tcpSocket: { port: 80 } },
            livenessProbe: { tcpSocket: { port: 80 } },
          },
        ],
      },
    );
    const msg = "Forbidden: cannot be set for an Ephemeral Container";
    expect(validatePodSpec(p.spec!).map(fieldErrorString)).toEqual([
      `spec.ephemeralContainers[0].livenessProbe: ${msg}`,
      `spec.ephemeralContainers[0].readinessProbe: ${msg}`,
      `spec.ephemeralContainers[0].startupProbe: ${msg}`,
      `spec.ephemeralContainers[0].lifecycle: ${msg}`,
    ]);
  });
});

describe("apimachinery name rules used by probes", () => {
  it.each<[string, string[]]>([
    ["http", []],
    ["a-1", []],
    ["abcdefghijklmno", []],
    ["abcdefghijklmnop", ["must be no more than 15 characters"]],
    [
      "",
      [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)",
      ],
    ],
    [
      "HTTP",
      [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)",
      ],
    ],
    ["web-", ["must not begin or end with a hyphen"]],
  ])("IsValidPortName(%j)", (name, want) => {
    expect(isValidPortName(name)).toEqual(want);
  });
  it("IsHTTPHeaderName", () => {
    expect(isHTTPHeaderName("X-Header-1")).toEqual([]);
    expect(isHTTPHeaderName("")).toHaveLength(1);
    expect(isHTTPHeaderName("Bad Header")).toHaveLength(1);
  });
});
