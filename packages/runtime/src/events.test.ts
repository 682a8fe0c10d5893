import {
  type JetStreamClient,
  type JetStreamPublishOptions,
  headers as natsHeaders,
  type PubAck,
} from "nats";
import { describe, expect, it } from "vitest";
import { headersToRecord, publish } from "./events.js";
import { formatTraceparent, newTrace, runWithTrace } from "./trace.js";

/** A JetStream client that records what would be published. */
function recordingJs() {
  const calls: Array<{
    subject: string;
    data: Uint8Array;
    opts: Partial<JetStreamPublishOptions> | undefined;
  }> = [];
  const js = {
    publish: async (
      subject: string,
      data: Uint8Array,
      opts?: Partial<JetStreamPublishOptions>,
    ): Promise<PubAck> => {
      calls.push({ subject, data, opts });
      return { stream: "S", seq: calls.length, duplicate: false, domain: "" } as PubAck;
    },
  } as unknown as JetStreamClient;
  return { js, calls };
}

describe("publish", () => {
  it("sends no headers and no id outside a trace", async () => {
    const { js, calls } = recordingJs();
    const ack = await publish(js, "a.b", new Uint8Array([1, 2]));
    expect(ack.seq).toBe(1);
    expect(calls).toEqual([{ subject: "a.b", data: new Uint8Array([1, 2]), opts: {} }]);
  });

  it("carries the current trace, the message id and extra headers", async () => {
    const { js, calls } = recordingJs();
    const t = newTrace("req-7");
    await runWithTrace(t, () =>
      publish(js, "a.b", new Uint8Array(), {
        msgId: "rv-42",
        headers: { "x-kind": "ADDED" },
        timeoutMs: 1_000,
      }),
    );
    const opts = calls[0]?.opts;
    expect(opts?.msgID).toBe("rv-42");
    expect(opts?.timeout).toBe(1_000);
    expect(headersToRecord(opts?.headers)).toEqual({
      traceparent: formatTraceparent(t),
      "x-request-id": "req-7",
      "x-kind": "ADDED",
    });
  });

  it("lets explicit headers override the trace headers", async () => {
    const { js, calls } = recordingJs();
    await runWithTrace(newTrace(), () =>
      publish(js, "s", new Uint8Array(), { headers: { "x-request-id": "outbox-1" } }),
    );
    expect(calls[0]?.opts?.headers?.get("x-request-id")).toBe("outbox-1");
  });
});

describe("headersToRecord", () => {
  it("lower-cases keys and keeps the first value", () => {
    const h = natsHeaders();
    h.set("Nats-Msg-Id", "m1");
    h.append("X-Multi", "one");
    h.append("X-Multi", "two");
    expect(headersToRecord(h)).toEqual({ "nats-msg-id": "m1", "x-multi": "one" });
  });

  it("returns an empty record for no headers", () => {
    expect(headersToRecord(undefined)).toEqual({});
  });
});
