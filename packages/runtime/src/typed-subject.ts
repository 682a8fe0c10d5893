/**
 * Typed events: a codec joins a payload type to publish and consume, so that services can plug
 * protobuf-es messages in (`toBinary` / `fromBinary`) without this package knowing them.
 */
import type { JetStreamClient, PubAck } from "nats";
import {
  type ConsumeDurableOptions,
  consumeDurable,
  type DurableConsumer,
  type EventMessage,
} from "./consume-durable.js";
import { type PublishOptions, publish } from "./events.js";

/** Turns values of `T` into bytes and back. `decode` throws on bytes that are not a `T`. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** An event with its decoded payload. */
export interface TypedEventMessage<T> extends EventMessage {
  /** The decoded payload. */
  readonly value: T;
}

/** Publish and consume events whose payload is a `T`. */
export interface TypedSubject<T> {
  /** The codec in use. */
  readonly codec: Codec<T>;
  /** Encodes `value` and publishes it (see {@link publish}). */
  publish(js: JetStreamClient, subject: string, value: T, options?: PublishOptions): Promise<PubAck>;
  /**
   * Consumes durably (see {@link consumeDurable}) and hands the handler decoded values. A payload
   * that does not decode is logged as an error and acknowledged (skipped): redelivering it could
   * never succeed and would block the messages behind it.
   */
  consume(
    options: ConsumeDurableOptions,
    handler: (msg: TypedEventMessage<T>) => Promise<void>,
  ): DurableConsumer;
}

/**
 * Binds a codec to publish and consume:
 *
 * ```ts
 * const events = typedSubject<WatchEvent>({
 *   encode: (v) => toBinary(WatchEventSchema, v),
 *   decode: (b) => fromBinary(WatchEventSchema, b),
 * });
 * await events.publish(js, "tokenplane.events.serviceaccounts.default.builder", ev, { msgId: rv });
 * ```
 */
export function typedSubject<T>(codec: Codec<T>): TypedSubject<T> {
  return {
    codec,
    publish: (js, subject, value, options) => publish(js, subject, codec.encode(value), options),
    consume: (options, handler) =>
      consumeDurable(options, async (msg) => {
        let value: T;
        try {
          value = codec.decode(msg.data);
        } catch (err) {
          options.log.error(
            { err, durable: options.durable, subject: msg.subject, seq: msg.seq },
            "cannot decode event; skipping it",
          );
          return;
        }
        await handler({ ...msg, value });
      }),
  };
}

/** A codec for JSON payloads (UTF-8). `decode` does not check the shape: it trusts the publisher. */
export function jsonCodec<T>(): Codec<T> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return {
    encode: (value) => encoder.encode(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(decoder.decode(bytes)) as T,
  };
}
