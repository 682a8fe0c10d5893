/**
 * Declaring the durable pull consumer that `consumeDurable` reads through: created when missing,
 * updated when its settings drifted, never silently widened.
 */
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  type JetStreamManager,
  nanos,
} from "nats";
import { isApiError } from "./nats.js";

/** The consumer settings {@link ensureDurableConsumer} manages. */
export interface DurableConsumerSpec {
  readonly durable: string;
  readonly filterSubjects: readonly string[];
  readonly deliverPolicy: "all" | "new";
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly maxAckPending: number;
}

/**
 * Creates the durable pull consumer (explicit ack) or updates an existing one whose settings
 * differ. The start position (`deliverPolicy`) of an existing consumer is left alone.
 *
 * @throws TypeError when an existing consumer has a filter and none is asked for (it would have
 *   to be deleted, losing its position).
 * @throws TypeError when several filter subjects are asked of a server that cannot filter on more
 *   than one (before 2.10); the consumer is not left behind.
 */
export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  stream: string,
  spec: DurableConsumerSpec,
): Promise<ConsumerInfo> {
  const filter: Partial<ConsumerConfig> =
    spec.filterSubjects.length === 0
      ? {}
      : spec.filterSubjects.length === 1
        ? { filter_subject: spec.filterSubjects[0] as string }
        : { filter_subjects: [...spec.filterSubjects] };
  const mutable = {
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
    ...filter,
  } satisfies Partial<ConsumerConfig>;

  const tooOld = () =>
    new TypeError(
      `consumer ${spec.durable}: filtering on several subjects needs nats-server 2.10 or later; use one subject with wildcards`,
    );
  let info = await consumerInfo(jsm, stream, spec.durable);
  let created = false;
  if (info === undefined) {
    try {
      info = await jsm.consumers.add(stream, {
        durable_name: spec.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: spec.deliverPolicy === "new" ? DeliverPolicy.New : DeliverPolicy.All,
        ...mutable,
      });
      created = true;
    } catch (err) {
      if (isTooOld(err)) throw tooOld();
      // Created by another instance in the meantime (10148): compare and update below.
      if (!isApiError(err, 10148)) throw err;
      info = await jsm.consumers.info(stream, spec.durable);
    }
  }
  const c = info.config;
  if (spec.filterSubjects.length === 0 && (c.filter_subject || (c.filter_subjects?.length ?? 0) > 0)) {
    // An update merges into the existing config, so it cannot drop a filter; recreating the
    // consumer would lose its position. Leave that decision to a person.
    throw new TypeError(
      `consumer ${spec.durable} filters on ${c.filter_subject || c.filter_subjects?.join(", ")}; delete it to consume the whole stream`,
    );
  }
  const sameFilter =
    (c.filter_subject ?? "") === (mutable.filter_subject ?? "") &&
    (c.filter_subjects ?? []).join("\n") === (mutable.filter_subjects ?? []).join("\n");
  if (
    !created &&
    !(
      c.ack_wait === mutable.ack_wait &&
      c.max_deliver === spec.maxDeliver &&
      c.max_ack_pending === spec.maxAckPending &&
      sameFilter
    )
  ) {
    try {
      info = await jsm.consumers.update(stream, spec.durable, mutable);
    } catch (err) {
      throw isTooOld(err) ? tooOld() : err;
    }
  }
  if (spec.filterSubjects.length > 1 && (info.config.filter_subjects?.length ?? 0) === 0) {
    // A server that does not know `filter_subjects` ignores it: the consumer would get everything.
    if (created) await jsm.consumers.delete(stream, spec.durable);
    throw tooOld();
  }
  return info;
}

/** The client refuses `filter_subjects` itself when it knows the server is older than 2.10. */
function isTooOld(err: unknown): boolean {
  return err instanceof Error && /'filter_subjects' requires server/.test(err.message);
}

async function consumerInfo(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (isApiError(err, 10014)) return undefined;
    throw err;
  }
}
