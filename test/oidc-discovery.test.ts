/**
 * oidc-discovery end to end, judged by an independent relying party: openid-client 6 discovers
 * the issuer from a token's `iss` (its discovery insists that the document's `issuer` is the
 * issuer asked for) and jose's `createRemoteJWKSet` + `jwtVerify` verify the token against the
 * JWKS at the advertised `jwks_uri` — the agnhost conformance check of reference §6.5 with
 * maintained JavaScript libraries instead of go-oidc. TLS is verified against the cluster CA.
 *
 * The stack runs with the issuer set to oidc-discovery's own URL (README "Issuer reachability"),
 * for RSA and for ECDSA service-account keys, and through a key rotation made with
 * `scripts/rotate-keys.ts` while everything keeps running.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import path from "node:path";
import { promisify } from "node:util";
import { startTestStack, type TestStack } from "@tokenplane/testing";
import * as jose from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = path.resolve(import.meta.dirname, "..");
const run = promisify(execFile);

// --- The relying party -------------------------------------------------------------------------

/** A fetch that trusts only `ca` (verification stays on), for both libraries' customFetch. */
function fetchTrusting(ca: string) {
  return (
    url: string | URL,
    init: { method?: string; headers?: ConstructorParameters<typeof Headers>[0]; body?: unknown } = {},
  ) =>
    new Promise<Response>((resolve, reject) => {
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = request(String(url), { method: init.method ?? "GET", headers, ca, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const out = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(", ") : value);
          }
          const body = res.statusCode === 304 || res.statusCode === 204 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status: res.statusCode ?? 0, headers: out }));
        });
      });
      req.on("error", reject);
      req.end();
    });
}

interface Verified {
  payload: Record<string, unknown>;
  header: Record<string, unknown>;
  metadata: client.ServerMetadata;
}

/**
 * What an outside relying party does with a token: read `iss` (unverified), discover the issuer,
 * fetch the JWKS from `jwks_uri`, verify signature, issuer, audience and expiry. A fresh JWKS
 * handle each time, so that a rotation is seen as a relying party with an expired cache sees it.
 */
async function verifyAsRelyingParty(token: string, ca: string, audience: string): Promise<Verified> {
  const fetchCa = fetchTrusting(ca);
  const iss = String(JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")).iss);
  const config = await client.discovery(new URL(iss), audience, undefined, undefined, {
    [client.customFetch]: fetchCa as unknown as client.CustomFetch,
  });
  const metadata = config.serverMetadata();
  const jwks = jose.createRemoteJWKSet(new URL(String(metadata.jwks_uri)), {
    [jose.customFetch]: fetchCa as unknown as jose.FetchImplementation,
  });
  const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
    issuer: metadata.issuer,
    audience,
    // The algorithms agnhost's verifier accepts (reference §6.5), whatever the document lists.
    algorithms: ["RS256", "ES256"],
  });
  return { payload, header: protectedHeader, metadata };
}

// --- The stack ---------------------------------------------------------------------------------

interface Cluster {
  stack: TestStack;
  /** oidc-discovery's URL, which is also the issuer. */
  issuer: string;
  ca: string;
}

/** A stack whose issuer is oidc-discovery's URL (both the apiserver and oidc-discovery get it). */
async function startCluster(signingKeyAlgorithm: "RS256" | "ES256"): Promise<Cluster> {
  const stack = await startTestStack({
    signingKeyAlgorithm,
    issuers: (ports) => [`https://127.0.0.1:${ports["oidc-discovery"].https}`],
  });
  const issuer = stack.settings.issuers![0]!;
  return { stack, issuer, ca: readFileSync(stack.layout.ca.cert, "utf8") };
}

/** A token for default/default, minted by the apiserver through kubectl (retried until the SA exists). */
async function mintToken(stack: TestStack): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await stack.kubectl(["create", "token", "default"]);
    if (res.code === 0) return res.stdout.trim();
    if (Date.now() > deadline) throw new Error(`kubectl create token failed: ${res.stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const headerOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as {
    kid: string;
    alg: string;
  };

async function jwksKids(cluster: Cluster): Promise<string[]> {
  const res = await fetchTrusting(cluster.ca)(`${cluster.issuer}/openid/v1/jwks`);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
}

async function rotate(cluster: Cluster, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      "scripts/rotate-keys.ts",
      ...args,
      `--tokenplane-home=${cluster.stack.layout.home}`,
      `--wait-jwks-url=${cluster.issuer}/openid/v1/jwks`,
      "--wait-timeout=30s",
    ],
    { cwd: repoRoot, env: { ...process.env, TOKENPLANE_HOME: "" } },
  );
  if (process.env.TOKENPLANE_TEST_LOGS === "1") process.stderr.write(stdout);
  return stdout;
}

// --- Tests -------------------------------------------------------------------------------------

describe.each(["RS256", "ES256"] as const)("a relying party verifies %s tokens", (alg) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(alg);
  });
  afterAll(async () => {
    await cluster?.stack.close();
  });

  it("discovers the issuer from the token's iss, fetches the JWKS and verifies the token", async () => {
    const token = await mintToken(cluster.stack);
    const { payload, header, metadata } = await verifyAsRelyingParty(token, cluster.ca, cluster.issuer);
    expect(header.alg).toBe(alg);
    expect(payload.iss).toBe(cluster.issuer);
    expect(payload.sub).toBe("system:serviceaccount:default:default");
    expect(payload.aud).toEqual([cluster.issuer]);
    // The document echoes iss byte for byte and points at this service's JWKS (reference §6.5).
    expect(metadata.issuer).toBe(cluster.issuer);
    expect(metadata.jwks_uri).toBe(`${cluster.issuer}/openid/v1/jwks`);
    expect(metadata.id_token_signing_alg_values_supported).toEqual([alg]);
    expect(await jwksKids(cluster)).toEqual([header.kid]);
  });

  it("serves what the apiserver serves behind RBAC, byte for byte (JWKS)", async () => {
    const own = await (await fetchTrusting(cluster.ca)(`${cluster.issuer}/openid/v1/jwks`)).text();
    const apiserver = await cluster.stack.kubectl(["get", "--raw", "/openid/v1/jwks"]);
    expect(apiserver.code).toBe(0);
    expect(own).toBe(apiserver.stdout.trim());
  });

  it("refuses a token from another issuer and a tampered token", async () => {
    const token = await mintToken(cluster.stack);
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(Buffer.from(p ?? "", "base64url").toString("utf8"));
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: "system:serviceaccount:default:admin" })).toString("base64url")}.${s}`;
    await expect(verifyAsRelyingParty(tampered, cluster.ca, cluster.issuer)).rejects.toThrow(
      "signature verification failed",
    );
    await expect(verifyAsRelyingParty(token, cluster.ca, "https://someone-else.example")).rejects.toThrow(
      'unexpected "aud" claim value',
    );
  });
});

describe("a relying party across a key rotation (pnpm rotate-keys)", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster("RS256");
  });
  afterAll(async () => {
    await cluster?.stack.close();
  });

  it("add → both keys published; promote → new tokens use the new key, old ones still verify; retire → old ones fail", async () => {
    const oldToken = await mintToken(cluster.stack);
    const oldKid = headerOf(oldToken).kid;
    expect(await jwksKids(cluster)).toEqual([oldKid]);

    // 1. add: an ECDSA key joins the verification set; the old key still signs.
    const added = await rotate(cluster, "add", "--algorithm=ES256");
    const newKid = /added key (\S+) to/.exec(added)?.[1] ?? "";
    expect(newKid).not.toBe("");
    expect(await jwksKids(cluster)).toEqual([oldKid, newKid]);
    // oidc-discovery learned it from the apiserver's NATS notification, not from its 60 s resync.
    const changes = cluster.stack
      .logs("oidc-discovery")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === "service-account keys changed");
    expect(changes.at(-1)).toMatchObject({ kids: [oldKid, newKid], reason: "key-set notification" });
    const config = await verifyAsRelyingParty(oldToken, cluster.ca, cluster.issuer);
    expect(config.metadata.id_token_signing_alg_values_supported).toEqual(["ES256", "RS256"]);

    // 2. promote: the apiserver picks the new signing key up from the file (no restart).
    await rotate(cluster, "promote");
    let newToken = "";
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      newToken = await mintToken(cluster.stack);
      if (headerOf(newToken).kid === newKid) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(headerOf(newToken)).toMatchObject({ kid: newKid, alg: "ES256" });
    expect(await jwksKids(cluster)).toEqual([oldKid, newKid]);
    expect((await verifyAsRelyingParty(newToken, cluster.ca, cluster.issuer)).header.kid).toBe(newKid);
    expect((await verifyAsRelyingParty(oldToken, cluster.ca, cluster.issuer)).header.kid).toBe(oldKid);

    // 3. retire: only the new key is published; old tokens no longer verify, new ones do.
    await rotate(cluster, "retire");
    expect(await jwksKids(cluster)).toEqual([newKid]);
    expect((await verifyAsRelyingParty(newToken, cluster.ca, cluster.issuer)).payload.iss).toBe(
      cluster.issuer,
    );
    await expect(verifyAsRelyingParty(oldToken, cluster.ca, cluster.issuer)).rejects.toThrow(
      "no applicable key found in the JSON Web Key Set",
    );
    const after = await verifyAsRelyingParty(newToken, cluster.ca, cluster.issuer);
    expect(after.metadata.id_token_signing_alg_values_supported).toEqual(["ES256"]);
  });
});
