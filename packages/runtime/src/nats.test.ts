import { NatsError } from "nats";
import { describe, expect, it } from "vitest";
import { isApiError, redactUrl } from "./nats.js";

describe("redactUrl", () => {
  const cases: Array<[string, string]> = [
    ["nats://127.0.0.1:4222", "nats://127.0.0.1:4222"],
    ["nats://user:secret@nats:4222", "nats://nats:4222"],
    ["nats://tok3n@nats:4222", "nats://nats:4222"],
    ["user:secret@nats:4222", "nats:4222"],
    ["tls://a:b@host", "tls://host"],
  ];
  it.each(cases)("%s → %s", (url, safe) => {
    expect(redactUrl(url)).toBe(safe);
  });
});

describe("isApiError", () => {
  it("matches the JetStream error code", () => {
    const err = new NatsError("stream not found", "404");
    err.api_error = { code: 404, err_code: 10059, description: "stream not found" };
    expect(isApiError(err, 10059)).toBe(true);
    expect(isApiError(err, 10014)).toBe(false);
    expect(isApiError(new Error("x"), 10059)).toBe(false);
  });
});
