/**
 * Key-set change notifications. The apiserver publishes `tokenplane.v1.KeySetChanged
 * { generation }` with a core NATS publish (not JetStream: a missed message is covered by the
 * periodic resync, and a stale one only causes one extra fetch) on {@link KEY_SET_CHANGED_SUBJECT}
 * whenever its key set changes (after re-reading its key files on SIGHUP or on a file change).
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { tokenplanev1 } from "@tokenplane/proto";
import type { Codec, Logger, NatsHandles } from "@tokenplane/runtime";

/** Core NATS subject of key-set change notifications (the apiserver publishes, we subscribe). */
export const KEY_SET_CHANGED_SUBJECT = "tokenplane.keys.changed";

/** Protobuf codec of `tokenplane.v1.KeySetChanged`. */
export const keySetChangedCodec: Codec<tokenplanev1.KeySetChanged> = {
  encode: (value) => toBinary(tokenplanev1.KeySetChangedSchema, value),
  decode: (bytes) => fromBinary(tokenplanev1.KeySetChangedSchema, bytes),
};

/** Options of {@link subscribeKeySetChanged}. */
export interface SubscribeKeySetChangedOptions {
  readonly nc: NatsHandles["nc"];
  /** Called for each notification (`generation` undefined when the payload did not decode) and after a reconnect. */
  readonly onChange: (reason: string, generation: bigint | undefined) => void;
  readonly log: Logger;
}

/**
 * Subscribes to {@link KEY_SET_CHANGED_SUBJECT}. A reconnect to NATS also counts as a change:
 * notifications sent while disconnected are lost. Returns the unsubscribe function.
 */
export function subscribeKeySetChanged(options: SubscribeKeySetChangedOptions): () => void {
  const { nc, onChange, log } = options;
  const sub = nc.subscribe(KEY_SET_CHANGED_SUBJECT, {
    callback: (err, msg) => {
      if (err) {
        log.warn({ err }, "key-set notification subscription error");
        return;
      }
      let generation: bigint | undefined;
      try {
        generation = keySetChangedCodec.decode(msg.data).generation;
      } catch (decodeErr) {
        log.warn({ err: decodeErr }, "cannot decode a key-set notification; fetching the key set anyway");
      }
      log.debug({ generation: generation === undefined ? undefined : String(generation) }, "key set changed");
      onChange("key-set notification", generation);
    },
  });
  let stopped = false;
  void (async () => {
    for await (const status of nc.status()) {
      if (stopped) return;
      if (status.type === "reconnect") onChange("NATS reconnected", undefined);
    }
  })();
  return () => {
    stopped = true;
    sub.unsubscribe();
  };
}
