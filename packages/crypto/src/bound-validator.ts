import { CryptoError } from "./errors.js";
import { decodeGoStruct, type StructSpec } from "./go-json.js";
import { credentialIdForJti, type ServiceAccountInfo } from "./user-info.js";
import {
  errorText,
  NO_EFFECTS,
  type ObjectRef,
  type TokenObjectGetter,
  type TokenValidator,
  type ValidationResult,
} from "./validation.js";

/** go-jose `jwt.DefaultLeeway`: 60 s, for time claims and deletion grace (reference §0, §1.5). */
export const DEFAULT_LEEWAY_SECONDS = 60;

/** Audit annotation for a token used after its `warnafter` (reference §1.5 step 6). */
export const STALE_TOKEN_ANNOTATION = "authentication.k8s.io/stale-token";

/** A name/uid reference as decoded from a token ("" when absent). */
export interface DecodedRef {
  readonly name: string;
  readonly uid: string;
}

/** The private claims of a bound token as the validator reads them (Go `privateClaims`). */
export interface BoundPrivateClaims {
  readonly namespace: string;
  readonly serviceAccount: DecodedRef;
  readonly pod?: DecodedRef;
  readonly secret?: DecodedRef;
  readonly node?: DecodedRef;
  /** Seconds since the epoch. */
  readonly warnafter?: number;
}

const REF_SPEC: StructSpec = {
  kind: "struct",
  name: "ref",
  goType: "serviceaccount.ref",
  fields: { name: { kind: "string" }, uid: { kind: "string" } },
};

const PRIVATE_CLAIMS_SPEC: StructSpec = {
  kind: "struct",
  name: "privateClaims",
  goType: "serviceaccount.privateClaims",
  fields: {
    "kubernetes.io": {
      kind: "struct",
      name: "kubernetes",
      goType: "serviceaccount.kubernetes",
      fields: {
        namespace: { kind: "string" },
        serviceaccount: REF_SPEC,
        pod: REF_SPEC,
        secret: REF_SPEC,
        node: REF_SPEC,
        warnafter: { kind: "numericDate" },
      },
    },
  },
};

type RawRef = { name?: string; uid?: string } | undefined;

function toRef(raw: RawRef): DecodedRef {
  return { name: raw?.name ?? "", uid: raw?.uid ?? "" };
}

/** Options of {@link createBoundValidator}. */
export interface BoundValidatorOptions {
  /** Reads the ServiceAccount and bound objects. */
  readonly getter: TokenObjectGetter;
  /** Current time in milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

const INVALIDATED = "service account token has been invalidated";

/**
 * The bound-token validator (claims.go `validator.Validate`, reference §1.5), in Kubernetes' order:
 * 1. time claims with 60 s leeway: nbf → `service account token is not valid yet`, exp →
 *    `service account token has expired`, iat → `service account token is issued in the future`;
 * 2. the ServiceAccount: getter error verbatim, then UID (`service account UID (<live>) does not
 *    match claim (<claim>)`), then deletion (`service account <ns>/<name> has been deleted`);
 * 3.–5. the bound secret, pod, or node (a node next to a pod is not looked up): a getter error or a
 *    deletion → `service account token has been invalidated`, UID mismatch → `<kind> UID (...) does
 *    not match service account <kind> ref claim (...)`;
 * 6. `warnafter` passed → stale-token audit annotation, never a rejection.
 * Deleted means `deletionTimestamp < now − 60 s` (strictly).
 */
export function createBoundValidator(options: BoundValidatorOptions): TokenValidator<BoundPrivateClaims> {
  const { getter } = options;
  const clock = options.now ?? Date.now;

  const fail = (code: CryptoError["code"], message: string, cause?: unknown): ValidationResult => ({
    ok: false,
    error: new CryptoError(code, message, cause === undefined ? undefined : { cause }),
    ...NO_EFFECTS,
  });

  // Looks up a bound object; returns an error result or undefined when the object is valid.
  async function checkBound(
    kind: "secret" | "pod" | "node",
    ref: DecodedRef,
    lookup: () => Promise<ObjectRef> | ObjectRef,
    deletedBefore: number,
  ): Promise<ValidationResult | undefined> {
    let live: ObjectRef;
    try {
      live = await lookup();
    } catch (error) {
      return fail("ERR_TOKEN_INVALIDATED", INVALIDATED, error);
    }
    if (live.uid !== ref.uid) {
      return fail(
        "ERR_TOKEN_UID_MISMATCH",
        `${kind} UID (${live.uid}) does not match service account ${kind} ref claim (${ref.uid})`,
      );
    }
    if (live.deletionTimestamp !== undefined && live.deletionTimestamp < deletedBefore) {
      return fail("ERR_TOKEN_INVALIDATED", INVALIDATED);
    }
    return undefined;
  }

  return {
    decodePrivateClaims(payload) {
      const decoded = decodeGoStruct(PRIVATE_CLAIMS_SPEC, payload);
      if (!decoded.ok) return decoded;
      const k = (decoded.value["kubernetes.io"] ?? {}) as {
        namespace?: string;
        serviceaccount?: RawRef;
        pod?: RawRef;
        secret?: RawRef;
        node?: RawRef;
        warnafter?: number;
      };
      return {
        ok: true,
        value: {
          namespace: k.namespace ?? "",
          serviceAccount: toRef(k.serviceaccount),
          ...(k.pod !== undefined ? { pod: toRef(k.pod) } : {}),
          ...(k.secret !== undefined ? { secret: toRef(k.secret) } : {}),
          ...(k.node !== undefined ? { node: toRef(k.node) } : {}),
          ...(k.warnafter !== undefined ? { warnafter: k.warnafter } : {}),
        },
      };
    },

    async validate({ claims, privateClaims: pc }) {
      const nowMs = clock();
      const leewayMs = DEFAULT_LEEWAY_SECONDS * 1000;
      // go-jose Claims.ValidateWithLeeway order: nbf, exp, iat; absent claims are not checked.
      if (claims.nbf !== undefined && nowMs + leewayMs < claims.nbf * 1000) {
        return fail("ERR_TOKEN_NOT_YET_VALID", "service account token is not valid yet");
      }
      if (claims.exp !== undefined && nowMs - leewayMs > claims.exp * 1000) {
        return fail("ERR_TOKEN_EXPIRED", "service account token has expired");
      }
      if (claims.iat !== undefined && nowMs + leewayMs < claims.iat * 1000) {
        return fail("ERR_TOKEN_ISSUED_IN_FUTURE", "service account token is issued in the future");
      }

      // Objects deleted before now − leeway are invalid (reference §1.5, §11.4).
      const deletedBefore = nowMs - leewayMs;
      const { namespace, serviceAccount: saRef } = pc;
      let sa: ObjectRef;
      try {
        sa = await getter.getServiceAccount(namespace, saRef.name);
      } catch (error) {
        // The getter's error goes back verbatim, e.g. `serviceaccounts "saname" not found`.
        return fail("ERR_TOKEN_LOOKUP", errorText(error), error);
      }
      // [new] order: UID before deletion.
      if (sa.uid !== saRef.uid) {
        return fail(
          "ERR_TOKEN_UID_MISMATCH",
          `service account UID (${sa.uid}) does not match claim (${saRef.uid})`,
        );
      }
      if (sa.deletionTimestamp !== undefined && sa.deletionTimestamp < deletedBefore) {
        return fail("ERR_TOKEN_DELETED", `service account ${namespace}/${saRef.name} has been deleted`);
      }

      if (pc.secret !== undefined) {
        const ref = pc.secret;
        const failure = await checkBound(
          "secret",
          ref,
          () => getter.getSecret(namespace, ref.name),
          deletedBefore,
        );
        if (failure !== undefined) return failure;
      }
      if (pc.pod !== undefined) {
        const ref = pc.pod;
        const failure = await checkBound("pod", ref, () => getter.getPod(namespace, ref.name), deletedBefore);
        if (failure !== undefined) return failure;
      }
      // With a pod, the node claim is informational and not looked up (reference §1.5 step 5).
      if (pc.node !== undefined && pc.pod === undefined) {
        const ref = pc.node;
        const failure = await checkBound("node", ref, () => getter.getNode(ref.name), deletedBefore);
        if (failure !== undefined) return failure;
      }

      const auditAnnotations: Record<string, string> = {};
      if (pc.warnafter !== undefined && pc.warnafter !== 0 && nowMs > pc.warnafter * 1000) {
        const seconds = Math.floor(nowMs / 1000) - pc.warnafter;
        auditAnnotations[STALE_TOKEN_ANNOTATION] =
          `subject: ${claims.sub}, seconds after warning threshold: ${seconds}`;
      }

      const info: ServiceAccountInfo = {
        namespace,
        name: saRef.name,
        uid: saRef.uid,
        ...(pc.pod !== undefined ? { podName: pc.pod.name, podUID: pc.pod.uid } : {}),
        ...(pc.node !== undefined ? { nodeName: pc.node.name, nodeUID: pc.node.uid } : {}),
        ...(claims.jti ? { credentialId: credentialIdForJti(claims.jti) } : {}),
      };
      return { ok: true, info, warnings: [], auditAnnotations };
    },
  };
}
