import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { fromK8sJson, toK8sJson } from "./k8s-json.js";

function decode<T extends Parameters<typeof fromK8sJson>[0]>(schema: T, json: unknown) {
  const r = fromK8sJson(schema, json);
  if ("error" in r) throw new Error(r.error);
  return r;
}

describe("Kubernetes JSON codec: probes, lifecycle hooks and IntOrString", () => {
  const container = {
    name: "web",
    image: "nginx",
    livenessProbe: {
      httpGet: {
        path: "/healthz",
        port: "http",
        scheme: "HTTP",
        httpHeaders: [{ name: "X-Probe", value: "" }],
      },
      initialDelaySeconds: 3,
      periodSeconds: 10,
    },
    readinessProbe: { httpGet: { path: "/ready", port: 8080 }, failureThreshold: 5 },
    startupProbe: { exec: { command: ["cat", "/tmp/started"] }, terminationGracePeriodSeconds: 0 },
    lifecycle: {
      postStart: { tcpSocket: { port: 5432, host: "db" } },
      preStop: { sleep: { seconds: 5 } },
    },
  };

  it("round-trips a container's probes with the handler inlined and named and numeric ports", () => {
    const { value, unknownFields } = decode(corev1.ContainerSchema, container);
    expect(unknownFields).toEqual([]);
    const live = value.livenessProbe!;
    expect(live.handler?.httpGet?.port).toMatchObject({ type: 1n, strVal: "http" });
    expect(live.initialDelaySeconds).toBe(3);
    expect(value.readinessProbe?.handler?.httpGet?.port).toMatchObject({ type: 0n, intVal: 8080 });
    expect(value.startupProbe?.handler?.exec?.command).toEqual(["cat", "/tmp/started"]);
    expect(value.startupProbe?.terminationGracePeriodSeconds).toBe(0n);
    expect(value.lifecycle?.postStart?.tcpSocket?.port).toMatchObject({ type: 0n, intVal: 5432 });
    expect(value.lifecycle?.preStop?.sleep?.seconds).toBe(5n);
    expect(toK8sJson(corev1.ContainerSchema, value, false)).toEqual(container);
  });

  it("reads the inline handler of an ephemeral container's probe as well", () => {
    const { value, unknownFields } = decode(corev1.EphemeralContainerSchema, {
      name: "debug",
      readinessProbe: { tcpSocket: { port: 8080 } },
    });
    expect(unknownFields).toEqual([]);
    const port = value.ephemeralContainerCommon?.readinessProbe?.handler?.tcpSocket?.port;
    expect(port).toMatchObject({ type: 0n, intVal: 8080 });
  });

  it("reports unknown fields inside a probe by path", () => {
    const r = decode(corev1.PodSchema, {
      spec: { containers: [{ name: "c", livenessProbe: { httpGet: { port: 80, bogus: 1 }, nope: 2 } }] },
    });
    expect(r.unknownFields.sort()).toEqual([
      "spec.containers[0].livenessProbe.httpGet.bogus",
      "spec.containers[0].livenessProbe.nope",
    ]);
  });

  it("rejects a port that is neither a number nor a string, naming the field", () => {
    for (const port of [true, { port: 80 }, [80], 1.5]) {
      const r = fromK8sJson(corev1.PodSchema, {
        spec: { containers: [{ name: "c", livenessProbe: { httpGet: { port } } }] },
      });
      expect("error" in r && r.error).toContain("spec.containers[0].livenessProbe.httpGet.port");
    }
    const big = fromK8sJson(corev1.PodSchema, {
      spec: { containers: [{ name: "c", readinessProbe: { tcpSocket: { port: 2 ** 31 } } }] },
    });
    expect("error" in big && big.error).toContain("of type int32");
  });

  it("writes a zero int port and an empty string port as Kubernetes does", () => {
    const { value } = decode(corev1.TCPSocketActionSchema, { port: 0 });
    expect(toK8sJson(corev1.TCPSocketActionSchema, value, false)).toEqual({ port: 0 });
    const s = decode(corev1.TCPSocketActionSchema, { port: "" });
    expect(toK8sJson(corev1.TCPSocketActionSchema, s.value, false)).toEqual({ port: "" });
  });
});
