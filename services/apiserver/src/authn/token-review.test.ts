import { create } from "@bufbuild/protobuf";
import { StatusError, toK8sJson } from "@tokenplane/apimachinery";
import { signToken } from "@tokenplane/crypto";
import { authnv1 } from "@tokenplane/proto";
import { beforeEach, describe, expect, it } from "vitest";
import type { TokenAuthenticator } from "./authenticator.js";
import { createSelfSubjectReview } from "./self-subject-review.js";
import { createServiceAccountTokenAuthenticator } from "./service-account-token-authenticator.js";
import { type AuthnEnv, authnEnv, boundTokenClaims, ISSUER, refOf, rsaKey } from "./test-env.js";
import { createTokenReview, namespaceNotAllowedMessage, TOKEN_REQUIRED_MESSAGE } from "./token-review.js";

// Reference §1.8 and the status shapes of §9.2.

let env: AuthnEnv;
let tokens: TokenAuthenticator;

beforeEach(async () => {
  env = await authnEnv();
  tokens = createServiceAccountTokenAuthenticator({
    registry: env.registry,
    clock: env.clock,
    log: env.log,
    issuers: [ISSUER],
    keys: [rsaKey],
    apiAudiences: [ISSUER],
  });
});

const review = (token: string, audiences: string[] = []) =>
  create(authnv1.TokenReviewSchema, { spec: { token, audiences } });
const statusJson = (r: authnv1.TokenReview) => toK8sJson(authnv1.TokenReviewSchema, r).status;

async function statusError(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("TokenReview (§1.8)", () => {
  it("§9.2: a pod-bound token → authenticated, user with system:authenticated and extras, audiences", async () => {
    const sa = await env.createServiceAccount("myns", "test-svcacct");
    const pod = await env.createPod("myns", "test-pod", "test-svcacct");
    const token = signToken(rsaKey, boundTokenClaims(sa, env.nowSeconds(), { pod: refOf(pod), jti: "3f1c" }));
    expect(statusJson(await createTokenReview(review(token), tokens, [ISSUER]))).toStrictEqual({
      authenticated: true,
      user: {
        username: "system:serviceaccount:myns:test-svcacct",
        uid: sa.metadata?.uid,
        groups: ["system:serviceaccounts", "system:serviceaccounts:myns", "system:authenticated"],
        extra: {
          "authentication.kubernetes.io/credential-id": ["JTI=3f1c"],
          "authentication.kubernetes.io/pod-name": ["test-pod"],
          "authentication.kubernetes.io/pod-uid": [pod.metadata?.uid],
        },
      },
      audiences: [ISSUER],
    });

    // §9.2: the same token after the pod is deleted.
    await env.remove("pod", "myns", "test-pod");
    expect(statusJson(await createTokenReview(review(token), tokens, [ISSUER]))).toStrictEqual({
      user: {},
      error: "service account token has been invalidated",
    });
  });

  it("the review echoes the request and adds the status", async () => {
    const out = await createTokenReview(review("not-a-jwt", ["x"]), tokens, [ISSUER]);
    expect(toK8sJson(authnv1.TokenReviewSchema, out)).toStrictEqual({
      metadata: {},
      spec: { token: "not-a-jwt", audiences: ["x"] },
      status: { user: {}, error: "invalid bearer token" },
    });
  });

  const table: { name: string; audiences: string[]; tokenAudiences: string[]; expected: unknown }[] = [
    {
      name: "spec.audiences are used instead of the API audiences",
      audiences: ["vault"],
      tokenAudiences: ["vault", ISSUER],
      expected: { authenticated: true, audiences: ["vault"] },
    },
    {
      name: "a token without an API audience fails against the default audiences",
      audiences: [],
      tokenAudiences: ["not-the-api"],
      expected: {
        error: `token audiences ["not-the-api"] is invalid for the target audiences ["${ISSUER}"]`,
      },
    },
    {
      name: "a token without aud is valid against the API audiences",
      audiences: [],
      tokenAudiences: [],
      expected: { authenticated: true, audiences: [ISSUER] },
    },
  ];
  it.each(table)("$name", async ({ audiences, tokenAudiences, expected }) => {
    const sa = await env.createServiceAccount("myns", "builder");
    const token = signToken(rsaKey, boundTokenClaims(sa, env.nowSeconds(), { audiences: tokenAudiences }));
    const status = statusJson(await createTokenReview(review(token, audiences), tokens, [ISSUER])) as Record<
      string,
      unknown
    >;
    expect({
      ...(status.authenticated ? { authenticated: true } : {}),
      ...(status.audiences ? { audiences: status.audiences } : {}),
      ...(status.error ? { error: status.error } : {}),
    }).toStrictEqual(expected);
  });

  it("an empty token is 400 `token is required for TokenReview in authentication`", async () => {
    const err = await statusError(createTokenReview(review(""), tokens, [ISSUER]));
    expect([err.code, err.reason, err.message]).toStrictEqual([400, "BadRequest", TOKEN_REQUIRED_MESSAGE]);
    expect(TOKEN_REQUIRED_MESSAGE).toBe("token is required for TokenReview in authentication");
  });

  it("an authenticator answering for other audiences is a 500", async () => {
    const confused: TokenAuthenticator = {
      async authenticateToken() {
        return {
          ok: true,
          user: { username: "u", uid: "", groups: [], extra: {} },
          audiences: ["elsewhere"],
          warnings: [],
          auditAnnotations: {},
        };
      },
    };
    const err = await statusError(createTokenReview(review("t"), confused, ["api"]));
    expect([err.code, err.message]).toStrictEqual([
      500,
      "Internal error occurred: error validating audiences",
    ]);
  });

  it("warnings and audit annotations go to the TokenReview request's context", async () => {
    const sa = await env.createServiceAccount("myns", "legacy");
    const token = await env.createLegacyToken(sa, "legacy-token", { autogenerated: true });
    const ctx = env.ctx();
    await createTokenReview(review(token), tokens, [ISSUER], ctx);
    expect([ctx.warnings, ctx.auditAnnotations]).toStrictEqual([
      [
        "Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens.",
      ],
      {
        "authentication.k8s.io/legacy-token": "system:serviceaccount:myns:legacy",
        "authentication.k8s.io/legacy-token-autogenerated-secret": "legacy-token",
      },
    ]);
  });

  it("the namespace-in-path text", () => {
    expect(namespaceNotAllowedMessage("myns")).toBe("namespace is not allowed on this type: myns");
  });
});

describe("SelfSubjectReview", () => {
  it("returns the requester, a creation time and nothing else", () => {
    const ctx = env.ctx();
    ctx.user = {
      username: "system:serviceaccount:myns:builder",
      uid: "sa-uid",
      groups: ["system:serviceaccounts", "system:serviceaccounts:myns", "system:authenticated"],
      extra: { "authentication.kubernetes.io/credential-id": ["JTI=abc"] },
    };
    const out = createSelfSubjectReview(
      ctx,
      create(authnv1.SelfSubjectReviewSchema, { metadata: { name: "ignored" } }),
      Date.UTC(2024, 0, 1, 12),
    );
    expect(toK8sJson(authnv1.SelfSubjectReviewSchema, out)).toStrictEqual({
      metadata: { creationTimestamp: "2024-01-01T12:00:00Z" },
      status: {
        userInfo: {
          username: "system:serviceaccount:myns:builder",
          uid: "sa-uid",
          groups: ["system:serviceaccounts", "system:serviceaccounts:myns", "system:authenticated"],
          extra: { "authentication.kubernetes.io/credential-id": ["JTI=abc"] },
        },
      },
    });
  });
});
