/**
 * `metav1.Status` messages ↔ the Status JSON shape of {@link StatusError}, for contracts that
 * carry a Status as a protobuf field (the admission service's denials).
 */
import { create } from "@bufbuild/protobuf";
import { metav1 } from "@tokenplane/proto";
import { reasonForCode, type Status, type StatusReason } from "./status-error.js";

/** A Status as its protobuf message. */
export function statusToProto(status: Status): metav1.Status {
  return create(metav1.StatusSchema, {
    status: status.status,
    message: status.message ?? "",
    reason: status.reason ?? "",
    code: status.code,
    ...(status.details
      ? {
          details: {
            name: status.details.name ?? "",
            group: status.details.group ?? "",
            kind: status.details.kind ?? "",
            uid: status.details.uid ?? "",
            retryAfterSeconds: status.details.retryAfterSeconds ?? 0,
            causes: (status.details.causes ?? []).map((c) => ({
              reason: c.reason ?? "",
              message: c.message ?? "",
              field: c.field ?? "",
            })),
          },
        }
      : {}),
  });
}

/** A protobuf Status as the Status JSON shape (empty fields omitted, a missing reason derived from the code). */
export function statusFromProto(s: metav1.Status): Status {
  const d = s.details;
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: s.status === "Success" ? "Success" : "Failure",
    message: s.message,
    reason: (s.reason || reasonForCode(s.code)) as StatusReason,
    code: s.code,
    ...(d
      ? {
          details: {
            ...(d.name ? { name: d.name } : {}),
            ...(d.group ? { group: d.group } : {}),
            ...(d.kind ? { kind: d.kind } : {}),
            ...(d.uid ? { uid: d.uid } : {}),
            ...(d.retryAfterSeconds ? { retryAfterSeconds: d.retryAfterSeconds } : {}),
            ...(d.causes.length
              ? {
                  causes: d.causes.map((c) => ({
                    ...(c.reason ? { reason: c.reason } : {}),
                    ...(c.message ? { message: c.message } : {}),
                    ...(c.field ? { field: c.field } : {}),
                  })),
                }
              : {}),
          },
        }
      : {}),
  };
}
