/**
 * Kubernetes' clusterrole-aggregation controller (pkg/controller/clusterroleaggregation): writes
 * into every ClusterRole with an `aggregationRule` the rules its selectors gather, so reading the
 * role shows them. Authorization does not wait for it (the policy index aggregates on read); this
 * only keeps the stored objects looking as they do in Kubernetes.
 *
 * It follows ClusterRoles with its own informer and, shortly after each change, recomputes every
 * aggregated role and updates those whose stored rules differ. Its own writes come back as
 * changes that compute to the same rules, so it settles. A conflicting write is left for the next
 * change to redo.
 */
import { clone, equals } from "@bufbuild/protobuf";
import { isConflict, isNotFound, resourceFor } from "@tokenplane/apimachinery";
import { rbacv1 } from "@tokenplane/proto";
import type { Logger } from "@tokenplane/runtime";
import type { Registry } from "../../registry/registry.js";
import type { RequestContext } from "../../request/context.js";
import { PolicyIndex, rbacGroup } from "./policy-index.js";
import { runInformer } from "./registry-informer.js";

/** Options of {@link createClusterRoleAggregator}. */
export interface ClusterRoleAggregatorOptions {
  registry: Pick<Registry, "list" | "watch" | "update">;
  /** Who writes (the apiserver's own context, `systemContext()`). */
  ctx: () => RequestContext;
  log: Pick<Logger, "info" | "warn" | "debug">;
  /** Wait after a change before recomputing, milliseconds (batches bursts); default 20. */
  delayMs?: number;
}

/** The aggregation controller. */
export interface ClusterRoleAggregator {
  /** Starts following ClusterRoles; resolves after the first list. Runs until `signal` aborts. */
  start(signal: AbortSignal): Promise<void>;
  /** Resolves when no recomputation is pending or running (tests). */
  idle(): Promise<void>;
}

const CLUSTERROLES = resourceFor(rbacGroup, "clusterroles")!;

const sameRules = (a: readonly rbacv1.PolicyRule[], b: readonly rbacv1.PolicyRule[]) =>
  a.length === b.length && a.every((r, i) => equals(rbacv1.PolicyRuleSchema, r, b[i]!));

/** Creates the controller. */
export function createClusterRoleAggregator(options: ClusterRoleAggregatorOptions): ClusterRoleAggregator {
  const { registry, log } = options;
  const delayMs = options.delayMs ?? 20;
  const index = new PolicyIndex();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function sync(): Promise<void> {
    for (const role of index.listClusterRoles()) {
      if (stopped) return;
      if (!role.aggregationRule) continue;
      const name = role.metadata?.name ?? "";
      const rules = index.clusterRoleRules(name) ?? [];
      if (sameRules(role.rules, rules)) continue;
      const next = clone(rbacv1.ClusterRoleSchema, role);
      next.rules = rules.map((r) => clone(rbacv1.PolicyRuleSchema, r));
      try {
        await registry.update(options.ctx(), CLUSTERROLES, "", name, next);
        log.debug({ clusterrole: name, rules: rules.length }, "aggregated cluster role rules written");
      } catch (err) {
        // A newer version (or a deletion) is on its way through the watch; it triggers a new pass.
        if (isConflict(err) || isNotFound(err)) continue;
        log.warn({ err, clusterrole: name }, "cannot write aggregated cluster role rules");
      }
    }
  }

  function schedule(): void {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = running.then(sync);
    }, delayMs);
  }

  return {
    async start(signal) {
      signal.addEventListener(
        "abort",
        () => {
          stopped = true;
          if (timer) clearTimeout(timer);
          timer = undefined;
        },
        { once: true },
      );
      const { synced } = runInformer({
        registry,
        info: CLUSTERROLES,
        log,
        signal,
        handlers: {
          replace: (items) => {
            index.replace("clusterroles", items as rbacv1.ClusterRole[]);
            schedule();
          },
          upsert: (o) => {
            index.upsert("clusterroles", o as rbacv1.ClusterRole);
            schedule();
          },
          remove: (o) => {
            index.remove("clusterroles", "", o.metadata?.name ?? "");
            schedule();
          },
        },
      });
      await synced;
    },
    async idle() {
      for (;;) {
        const current = running;
        await current;
        if (!timer && current === running) return;
        await new Promise((r) => setTimeout(r, delayMs));
      }
    },
  };
}
