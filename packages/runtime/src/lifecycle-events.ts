/**
 * Typed lifecycle events (DESIGN.md "Events"): every committed change of an object is published
 * as a `tokenplane.v1.LifecycleEvent` (protobuf) on the JetStream stream `TOKENPLANE_EVENTS`, on a
 * subject that names the object, with its resourceVersion as the message id so that JetStream
 * stores a retried publish once.
 *
 * Subjects: `tokenplane.events.<group>.<resource>.<namespace>.<name>` where
 * - `<group>` is the API group, `core` for the core group (`""`);
 * - `<namespace>` is the namespace, `_` for cluster-scoped objects (no namespace can be named
 *   `_`: namespaces are DNS labels);
 * - every part is made one NATS token by {@link encodeSubjectToken}: `.`, `*`, `>`, `%`, and
 *   every character outside printable ASCII (whitespace and control characters included) become
 *   `%XX` per UTF-8 byte. Group names contain dots (`rbac.authorization.k8s.io` →
 *   `rbac%2Eauthorization%2Ek8s%2Eio`), and some kinds allow names with dots or any character
 *   but `/` and `%` (RBAC roles: `system:controller:token-cleaner`, kept as is).
 *
 * ```
 * tokenplane.events.core.serviceaccounts.default.builder
 * tokenplane.events.core.namespaces._.kube-system
 * tokenplane.events.rbac%2Eauthorization%2Ek8s%2Eio.clusterroles._.system:node
 * ```
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ResourceInfo, unwrap } from "@tokenplane/apimachinery";
import { tokenplanev1 } from "@tokenplane/proto";
import type { JetStreamClient, JetStreamManager, PubAck, StreamInfo } from "nats";
import type { PublishOptions } from "./events.js";
import { ensureStream } from "./nats.js";
import { type Codec, type TypedSubject, typedSubject } from "./typed-subject.js";

/** The stream lifecycle events are stored in. */
export const EVENTS_STREAM = "TOKENPLANE_EVENTS";
/** Prefix of every lifecycle event subject. */
export const EVENTS_SUBJECT_PREFIX = "tokenplane.events";
/** The subjects of {@link EVENTS_STREAM}. */
export const EVENTS_SUBJECTS = `${EVENTS_SUBJECT_PREFIX}.>`;
/** Default age limit of stored events, milliseconds: 24 h. */
export const EVENTS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Default de-duplication window of the stream, milliseconds: 2 min. */
export const EVENTS_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** Where an object lives: what its subject is made of. */
export interface ObjectAddress {
  /** API group, `""` for the core group. */
  readonly group: string;
  /** Plural resource name (`serviceaccounts`). */
  readonly resource: string;
  /** Namespace, `""` for cluster-scoped objects. */
  readonly namespace: string;
  /** Object name; must not be empty. */
  readonly name: string;
}

/** Characters that must not appear inside a NATS token, plus `%` (the escape itself). */
const UNSAFE = /[^\x21-\x24\x26-\x29\x2b-\x2d\x2f-\x3d\x3f-\x7e]+/gu;

/**
 * Makes `text` a single NATS subject token: `.`, `*`, `>`, `%` and every character outside
 * printable ASCII (space, tabs, newlines, control characters, non-ASCII) become `%XX`, one per
 * UTF-8 byte, upper-case hex. Everything else is kept, so typical names read as themselves.
 *
 * @throws TypeError for an empty string (an empty token is not a valid subject).
 */
export function encodeSubjectToken(text: string): string {
  if (text === "") throw new TypeError("cannot make a subject token of an empty string");
  return text.replace(UNSAFE, (run) =>
    Array.from(Buffer.from(run, "utf8"), (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
}

/** The inverse of {@link encodeSubjectToken}. Throws `URIError` on a malformed escape. */
export function decodeSubjectToken(token: string): string {
  return token.includes("%") ? decodeURIComponent(token) : token;
}

const groupToken = (group: string) => (group === "" ? "core" : encodeSubjectToken(group));
const namespaceToken = (namespace: string) => (namespace === "" ? "_" : encodeSubjectToken(namespace));

/** The subject of the events of one object. */
export function lifecycleEventSubject(address: ObjectAddress): string {
  return `${EVENTS_SUBJECT_PREFIX}.${groupToken(address.group)}.${encodeSubjectToken(address.resource)}.${namespaceToken(address.namespace)}.${encodeSubjectToken(address.name)}`;
}

/** Subject filter for every event of a resource (`tokenplane.events.core.pods.>`). */
export function resourceEventsFilter(resource: Pick<ResourceInfo, "group" | "resource">): string {
  return `${EVENTS_SUBJECT_PREFIX}.${groupToken(resource.group)}.${encodeSubjectToken(resource.resource)}.>`;
}

/**
 * Subject filter for the events of a resource in one namespace (`tokenplane.events.core.pods.ns1.*`);
 * `""` selects the cluster-scoped objects (`..._.*`).
 */
export function namespaceEventsFilter(
  resource: Pick<ResourceInfo, "group" | "resource">,
  namespace: string,
): string {
  return `${EVENTS_SUBJECT_PREFIX}.${groupToken(resource.group)}.${encodeSubjectToken(resource.resource)}.${namespaceToken(namespace)}.*`;
}

/** Protobuf (binary) codec of `LifecycleEvent`. */
export const lifecycleEventCodec: Codec<tokenplanev1.LifecycleEvent> = {
  encode: (event) => toBinary(tokenplanev1.LifecycleEventSchema, event),
  decode: (bytes) => fromBinary(tokenplanev1.LifecycleEventSchema, bytes),
};

/** Publish and durably consume `LifecycleEvent`s (see {@link typedSubject}). */
export const lifecycleEvents: TypedSubject<tokenplanev1.LifecycleEvent> = typedSubject(lifecycleEventCodec);

/** The event type names, as Kubernetes watch events spell them. */
export type LifecycleEventType = "ADDED" | "MODIFIED" | "DELETED";

const eventTypes: Record<LifecycleEventType, tokenplanev1.EventType> = {
  ADDED: tokenplanev1.EventType.ADDED,
  MODIFIED: tokenplanev1.EventType.MODIFIED,
  DELETED: tokenplanev1.EventType.DELETED,
};

/**
 * The event for a committed change of `object` (an envelope holding the object after the change,
 * or its last state for DELETED): group, resource, namespace and name from the object's kind and
 * metadata, `resource_version` from `metadata.resourceVersion`.
 *
 * @throws TypeError when the object has no name or its resourceVersion is not a decimal number.
 */
export function newLifecycleEvent(
  type: LifecycleEventType,
  object: tokenplanev1.KubeObject,
): tokenplanev1.LifecycleEvent {
  const { info, object: value } = unwrap(object);
  const name = value.metadata?.name ?? "";
  const rv = value.metadata?.resourceVersion ?? "";
  if (name === "") throw new TypeError(`${info.resource}: an event needs an object with a name`);
  const resourceVersion = parseResourceVersion(rv);
  if (resourceVersion === undefined) {
    throw new TypeError(`${info.resource} "${name}": invalid resourceVersion "${rv}"`);
  }
  return create(tokenplanev1.LifecycleEventSchema, {
    type: eventTypes[type],
    object,
    group: info.group,
    resource: info.resource,
    namespace: info.namespaced ? (value.metadata?.namespace ?? "") : "",
    name,
    resourceVersion,
  });
}

/** A resourceVersion (a decimal string of the store's counter) as a bigint; undefined if not one. */
export function parseResourceVersion(rv: string): bigint | undefined {
  return /^(0|[1-9][0-9]{0,19})$/.test(rv) ? BigInt(rv) : undefined;
}

/**
 * Publishes `event` on its object's subject with message id `<resource_version>` (a retry within
 * the stream's duplicate window is stored once: `ack.duplicate`) and the current trace headers.
 * Resolves once the stream acknowledged it; rejects otherwise (the caller retries).
 */
export function publishLifecycleEvent(
  js: JetStreamClient,
  event: tokenplanev1.LifecycleEvent,
  options: Omit<PublishOptions, "msgId"> = {},
): Promise<PubAck> {
  const subject = lifecycleEventSubject(event);
  return lifecycleEvents.publish(js, subject, event, { ...options, msgId: event.resourceVersion.toString() });
}

/** Options of {@link ensureEventStream}. */
export interface EnsureEventStreamOptions {
  /** Discard events older than this, milliseconds; default {@link EVENTS_MAX_AGE_MS} (24 h). */
  readonly maxAgeMs?: number;
  /**
   * De-duplication window, milliseconds; default {@link EVENTS_DUPLICATE_WINDOW_MS} (2 min): long
   * enough for the outbox's publish retries; a republish after a longer apiserver outage is stored
   * twice, which consumers absorb (they drop events not newer than what they hold).
   */
  readonly duplicateWindowMs?: number;
}

/**
 * Creates or updates {@link EVENTS_STREAM} (file storage, subjects `tokenplane.events.>`).
 * Events are kept for `maxAgeMs`: a consumer away longer than that re-lists anyway (informers
 * list on start), so older events have no reader.
 */
export function ensureEventStream(
  jsm: JetStreamManager,
  options: EnsureEventStreamOptions = {},
): Promise<StreamInfo> {
  return ensureStream(jsm, {
    name: EVENTS_STREAM,
    subjects: [EVENTS_SUBJECTS],
    maxAgeMs: options.maxAgeMs ?? EVENTS_MAX_AGE_MS,
    duplicateWindowMs: options.duplicateWindowMs ?? EVENTS_DUPLICATE_WINDOW_MS,
  });
}
