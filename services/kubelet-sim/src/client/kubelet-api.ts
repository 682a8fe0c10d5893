/**
 * The kubelet-sim's view of the apiserver: the calls a kubelet (and its scheduler stand-in) makes,
 * typed, over the apiserver's gRPC ObjectService and TokenService. Failures are the apiserver's
 * `StatusError`s. Unit tests give the simulator an in-memory implementation instead.
 */
import { create } from "@bufbuild/protobuf";
import { isConflict, isNotFound, msFromTime, resourceFor, unwrap, wrap } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import type { ApiserverClient } from "@tokenplane/runtime";
import type { TokenRequestLike, TokenSpec } from "../tokens/refresh-rules.js";

/** The kinds the simulator reads in bulk (informers). */
export interface ListedKinds {
  pods: corev1.Pod;
  configmaps: corev1.ConfigMap;
  secrets: corev1.Secret;
  nodes: corev1.Node;
}

/** What the simulator calls on the apiserver. */
export interface KubeletApi {
  /** Every object of a resource, all namespaces, page by page; the first page's resourceVersion. */
  list<R extends keyof ListedKinds>(
    resource: R,
    signal?: AbortSignal,
  ): Promise<{ items: ListedKinds[R][]; resourceVersion: string }>;
  /** A ConfigMap or Secret of a namespace; undefined when it does not exist. */
  getConfigMap(namespace: string, name: string): Promise<corev1.ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<corev1.Secret | undefined>;
  getNode(name: string): Promise<corev1.Node>;
  createNode(node: corev1.Node): Promise<corev1.Node>;
  /** A JSON merge patch of a node (or its status). */
  patchNode(name: string, patch: string, subresource?: "status"): Promise<corev1.Node>;
  deleteNode(name: string): Promise<void>;
  /** POST pods/<name>/binding with target Node `node`. */
  bindPod(namespace: string, name: string, node: string): Promise<void>;
  /** A JSON merge patch of pods/<name>/status. */
  patchPodStatus(namespace: string, name: string, patch: string): Promise<void>;
  /**
   * Confirms a graceful deletion: DELETE with gracePeriodSeconds 0 and the pod's uid as
   * precondition. A pod already gone (404) or replaced (409) counts as done.
   */
  confirmPodDeletion(namespace: string, name: string, uid: string): Promise<void>;
  /** TokenRequest for service account `name` in `namespace`. */
  createToken(namespace: string, name: string, spec: TokenSpec): Promise<TokenRequestLike>;
}

/** Items per List page. */
const LIST_PAGE_SIZE = 1000;
const MERGE_PATCH = "application/merge-patch+json";
const encoder = new TextEncoder();

function info(resource: string) {
  const r = resourceFor("", resource);
  if (r === undefined) throw new TypeError(`unknown resource ${resource}`);
  return r;
}

/** The {@link KubeletApi} over the apiserver's gRPC API. */
export function grpcKubeletApi(api: ApiserverClient): KubeletApi {
  const { objects, tokens } = api;
  const getOptional = async <T>(
    resource: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined> => {
    try {
      return unwrap(await objects.get({ group: "", resource, namespace, name })).object as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return {
    async list(resource, signal) {
      const items: never[] = [];
      let continueToken = "";
      let resourceVersion = "";
      do {
        const page = await objects.list(
          { group: "", resource, limit: BigInt(LIST_PAGE_SIZE), continueToken },
          signal === undefined ? {} : { signal },
        );
        if (resourceVersion === "") resourceVersion = page.resourceVersion;
        for (const item of page.items) items.push(unwrap(item).object as never);
        continueToken = page.continueToken;
      } while (continueToken !== "");
      return { items, resourceVersion };
    },
    getConfigMap: (namespace, name) => getOptional<corev1.ConfigMap>("configmaps", namespace, name),
    getSecret: (namespace, name) => getOptional<corev1.Secret>("secrets", namespace, name),
    async getNode(name) {
      return unwrap(await objects.get({ group: "", resource: "nodes", name })).object as corev1.Node;
    },
    async createNode(node) {
      return unwrap(await objects.create({ object: wrap(info("nodes"), node) })).object as corev1.Node;
    },
    async patchNode(name, patch, subresource) {
      const patched = await objects.patch({
        group: "",
        resource: "nodes",
        name,
        subresource: subresource ?? "",
        patchType: MERGE_PATCH,
        patch: encoder.encode(patch),
      });
      return unwrap(patched).object as corev1.Node;
    },
    async deleteNode(name) {
      try {
        await objects.delete({ group: "", resource: "nodes", name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async bindPod(namespace, name, node) {
      await objects.bind({
        namespace,
        binding: create(corev1.BindingSchema, {
          metadata: { name, namespace },
          target: { apiVersion: "v1", kind: "Node", name: node },
        }),
      });
    },
    async patchPodStatus(namespace, name, patch) {
      await objects.patch({
        group: "",
        resource: "pods",
        namespace,
        name,
        subresource: "status",
        patchType: MERGE_PATCH,
        patch: encoder.encode(patch),
      });
    },
    async confirmPodDeletion(namespace, name, uid) {
      try {
        await objects.delete({
          group: "",
          resource: "pods",
          namespace,
          name,
          options: { gracePeriodSeconds: 0n, preconditions: { uid } },
        });
      } catch (err) {
        if (isNotFound(err) || isConflict(err)) return;
        throw err;
      }
    },
    async createToken(namespace, name, spec) {
      const answer = await tokens.createToken({
        namespace,
        name,
        tokenRequest: {
          spec: {
            audiences: [...(spec.audiences ?? [])],
            ...(spec.expirationSeconds === undefined
              ? {}
              : { expirationSeconds: BigInt(spec.expirationSeconds) }),
            ...(spec.boundObjectRef === undefined ? {} : { boundObjectRef: { ...spec.boundObjectRef } }),
          },
        },
      });
      const s = answer.spec;
      const ref = s?.boundObjectRef;
      return {
        spec: {
          audiences: [...(s?.audiences ?? [])],
          ...(s?.expirationSeconds === undefined ? {} : { expirationSeconds: Number(s.expirationSeconds) }),
          ...(ref === undefined
            ? {}
            : {
                boundObjectRef: { kind: ref.kind, apiVersion: ref.apiVersion, name: ref.name, uid: ref.uid },
              }),
        },
        status: {
          token: answer.status?.token ?? "",
          expirationTimestamp: msFromTime(answer.status?.expirationTimestamp) ?? 0,
        },
      };
    },
  };
}
