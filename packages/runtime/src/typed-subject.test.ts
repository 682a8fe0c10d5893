import type { JetStreamClient, JetStreamPublishOptions, PubAck } from "nats";
import { describe, expect, it } from "vitest";
import { jsonCodec, typedSubject } from "./typed-subject.js";

interface Ev {
  type: "ADDED" | "DELETED";
  name: string;
}

describe("jsonCodec", () => {
  it("round-trips and rejects bytes that are not JSON", () => {
    const codec = jsonCodec<Ev>();
    const bytes = codec.encode({ type: "ADDED", name: "default" });
    expect(new TextDecoder().decode(bytes)).toBe('{"type":"ADDED","name":"default"}');
    expect(codec.decode(bytes)).toEqual({ type: "ADDED", name: "default" });
    expect(() => codec.decode(new Uint8Array([0xff, 0xfe]))).toThrow();
    expect(() => codec.decode(new TextEncoder().encode("{"))).toThrow(SyntaxError);
  });
});

describe("typedSubject", () => {
  it("publishes the encoded value with the given options", async () => {
    const seen: Array<[string, Uint8Array, Partial<JetStreamPublishOptions> | undefined]> = [];
    const js = {
      publish: async (s: string, d: Uint8Array, o?: Partial<JetStreamPublishOptions>) => {
        seen.push([s, d, o]);
        return { seq: 9, duplicate: false } as PubAck;
      },
    } as unknown as JetStreamClient;
    const events = typedSubject(jsonCodec<Ev>());
    const ack = await events.publish(js, "ev.sa", { type: "DELETED", name: "x" }, { msgId: "7" });
    expect(ack.seq).toBe(9);
    expect(seen[0]?.[0]).toBe("ev.sa");
    expect(events.codec.decode(seen[0]?.[1] ?? new Uint8Array())).toEqual({ type: "DELETED", name: "x" });
    expect(seen[0]?.[2]?.msgID).toBe("7");
  });
});
