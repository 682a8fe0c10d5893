/**
 * Publishing lifecycle events to JetStream with the current trace context, and turning NATS
 * headers into the plain header records the trace helpers read.
 */
import { type JetStreamClient, type MsgHdrs, headers as natsHeaders, type PubAck } from "nats";
import { injectTrace } from "./trace.js";

/** Options of {@link publish}. */
export interface PublishOptions {
  /**
   * De-duplication id (`Nats-Msg-Id`): the stream stores a message with an id it has already seen
   * within its duplicate window only once, and answers with `duplicate: true`. The outbox uses the
   * event's resourceVersion so that a retried publish is not stored twice.
   */
  readonly msgId?: string;
  /** Extra headers; they override the trace headers of the same name. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How long to wait for the stream's acknowledgement, milliseconds; default the client's (5000). */
  readonly timeoutMs?: number;
}

/**
 * Publishes `data` to `subject` on JetStream and waits for the stream's acknowledgement. The
 * message carries `traceparent` and `x-request-id` from the current trace (when there is one), so
 * consumers continue the same trace.
 *
 * @returns the acknowledgement (`seq`, `duplicate`).
 * @throws the client's error when the publish is not acknowledged (no stream, timeout,
 *   disconnected); the caller retries (the apiserver outbox does).
 */
export function publish(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  options: PublishOptions = {},
): Promise<PubAck> {
  const record = injectTrace({});
  if (options.headers !== undefined) Object.assign(record, options.headers);
  const keys = Object.keys(record);
  let hdrs: MsgHdrs | undefined;
  if (keys.length > 0) {
    hdrs = natsHeaders();
    for (const key of keys) hdrs.set(key, record[key] as string);
  }
  return js.publish(subject, data, {
    ...(hdrs === undefined ? {} : { headers: hdrs }),
    ...(options.msgId === undefined ? {} : { msgID: options.msgId }),
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
  });
}

/**
 * NATS message headers as a plain record with lower-case keys (first value of each), the form
 * {@link extractTrace} and handlers read. `Nats-Msg-Id` becomes `nats-msg-id`.
 */
export function headersToRecord(hdrs: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (hdrs === undefined) return out;
  for (const key of hdrs.keys()) out[key.toLowerCase()] = hdrs.get(key);
  return out;
}
