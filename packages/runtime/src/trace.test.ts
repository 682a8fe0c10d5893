import { describe, expect, it } from "vitest";
import {
  childOf,
  currentTrace,
  extractTrace,
  formatTraceparent,
  injectTrace,
  isValidTraceparent,
  newTrace,
  parseTraceparent,
  runWithTrace,
} from "./trace.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";
const VALID = `00-${TRACE}-${SPAN}-01`;

describe("parseTraceparent", () => {
  it("parses the spec's example", () => {
    expect(parseTraceparent(VALID)).toEqual({ value: { traceId: TRACE, spanId: SPAN, flags: 1 } });
  });

  it("accepts a future version with extra fields", () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-00-extra`)).toEqual({
      value: { traceId: TRACE, spanId: SPAN, flags: 0 },
    });
  });

  const bad: Array<[string, string, string]> = [
    ["empty", "", `traceparent too short: ""`],
    [
      "short trace id",
      `00-${TRACE.slice(1)}-${SPAN}-01`,
      `traceparent too short: "00-${TRACE.slice(1)}-${SPAN}-01"`,
    ],
    ["version 00 too long", `${VALID}-x`, `traceparent of version 00 must be 55 characters: "${VALID}-x"`],
    ["version ff", `ff-${TRACE}-${SPAN}-01`, `invalid traceparent version: "ff"`],
    ["version not hex", `0g-${TRACE}-${SPAN}-01`, `invalid traceparent version: "0g"`],
    ["upper-case hex", `00-${TRACE.toUpperCase()}-${SPAN}-01`, `invalid trace-id: "${TRACE.toUpperCase()}"`],
    ["zero trace id", `00-${"0".repeat(32)}-${SPAN}-01`, `invalid trace-id: "${"0".repeat(32)}"`],
    ["zero parent id", `00-${TRACE}-${"0".repeat(16)}-01`, `invalid parent-id: "${"0".repeat(16)}"`],
    ["bad flags", `00-${TRACE}-${SPAN}-0x`, `invalid trace-flags: "0x"`],
    ["wrong separator", `00_${TRACE}-${SPAN}-01`, `invalid traceparent: "00_${TRACE}-${SPAN}-01"`],
    [
      "later version, no dash after flags",
      `01-${TRACE}-${SPAN}-01x`,
      `invalid traceparent: "01-${TRACE}-${SPAN}-01x"`,
    ],
  ];
  it.each(bad)("rejects %s", (_name, header, error) => {
    expect(parseTraceparent(header)).toEqual({ error });
    expect(isValidTraceparent(header)).toBe(false);
  });
});

describe("formatTraceparent", () => {
  it("round-trips", () => {
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, flags: 1 })).toBe(VALID);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, flags: 0 })).toBe(`00-${TRACE}-${SPAN}-00`);
  });
});

describe("newTrace / childOf", () => {
  it("creates valid, distinct, sampled ids with the trace id as request id", () => {
    const a = newTrace();
    const b = newTrace();
    expect(isValidTraceparent(formatTraceparent(a))).toBe(true);
    expect(a.traceId).not.toBe(b.traceId);
    expect(a.flags).toBe(1);
    expect(a.requestId).toBe(a.traceId);
  });

  it("keeps a usable request id and drops an unusable one", () => {
    expect(newTrace("req-42").requestId).toBe("req-42");
    const t = newTrace("has space\nand newline");
    expect(t.requestId).toBe(t.traceId);
    const long = newTrace("x".repeat(129));
    expect(long.requestId).toBe(long.traceId);
  });

  it("childOf keeps trace, flags and request id, and changes the span", () => {
    const parent = newTrace("r1");
    const child = childOf(parent);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.requestId).toBe("r1");
    expect(child.flags).toBe(parent.flags);
    expect(child.spanId).not.toBe(parent.spanId);
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("runWithTrace / currentTrace", () => {
  it("binds the context across awaits and isolates concurrent runs", async () => {
    expect(currentTrace()).toBeUndefined();
    const a = newTrace();
    const b = newTrace();
    const seen = await Promise.all([
      runWithTrace(a, async () => {
        await new Promise((r) => setTimeout(r, 5));
        return currentTrace()?.traceId;
      }),
      runWithTrace(b, async () => {
        await new Promise((r) => setImmediate(r));
        return currentTrace()?.traceId;
      }),
    ]);
    expect(seen).toEqual([a.traceId, b.traceId]);
    expect(currentTrace()).toBeUndefined();
  });
});

describe("injectTrace / extractTrace", () => {
  it("injects the current trace", () => {
    const t = newTrace("abc");
    const headers = runWithTrace(t, () => injectTrace({ other: "1" }));
    expect(headers).toEqual({ other: "1", traceparent: formatTraceparent(t), "x-request-id": "abc" });
  });

  it("injects nothing without a trace", () => {
    expect(injectTrace({})).toEqual({});
  });

  it("extracts a child span of the caller with the caller's request id", () => {
    const ctx = extractTrace({ traceparent: VALID, "x-request-id": "rid-1" });
    expect(ctx.traceId).toBe(TRACE);
    expect(ctx.spanId).not.toBe(SPAN);
    expect(ctx.flags).toBe(1);
    expect(ctx.requestId).toBe("rid-1");
  });

  it("finds headers in any case and in single-element arrays", () => {
    const ctx = extractTrace({ TraceParent: [VALID], "X-Request-Id": "R" });
    expect(ctx.traceId).toBe(TRACE);
    expect(ctx.requestId).toBe("R");
  });

  it("uses the trace id as request id when none is given", () => {
    expect(extractTrace({ traceparent: VALID }).requestId).toBe(TRACE);
  });

  it("starts a new trace for a missing or invalid traceparent", () => {
    const a = extractTrace({});
    expect(isValidTraceparent(formatTraceparent(a))).toBe(true);
    const b = extractTrace({ traceparent: `ff-${TRACE}-${SPAN}-01`, "x-request-id": "keep" });
    expect(b.traceId).not.toBe(TRACE);
    expect(b.requestId).toBe("keep");
  });

  it("round-trips through a header record", () => {
    const t = newTrace();
    const ctx = extractTrace(injectTrace({}, t));
    expect(ctx.traceId).toBe(t.traceId);
    expect(ctx.requestId).toBe(t.requestId);
  });
});
