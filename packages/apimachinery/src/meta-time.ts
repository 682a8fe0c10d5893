/**
 * `metav1.Time` messages ↔ milliseconds. Kubernetes keeps whole seconds in object times.
 */
import { create } from "@bufbuild/protobuf";
import { metav1 } from "@tokenplane/proto";

/** A Time message for an instant (sub-second part dropped, as Kubernetes serialises it). */
export function timeFromMs(ms: number): metav1.Time {
  return create(metav1.TimeSchema, { seconds: BigInt(Math.floor(ms / 1000)) });
}

/** Milliseconds since the epoch of a Time message; undefined stays undefined. */
export function msFromTime(t: metav1.Time | undefined): number | undefined {
  if (!t) return undefined;
  return Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);
}
