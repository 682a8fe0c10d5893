/** The strategy of every stored kind, by its `KubeObject` case. */
import type { ObjectCase } from "@tokenplane/apimachinery";
import { anyStrategy, type Strategy } from "../strategy.js";
import { configMapStrategy } from "./config-map.js";
import { namespaceStrategy } from "./namespace.js";
import { nodeStrategy } from "./node.js";
import { podStrategy } from "./pod.js";
import {
  clusterRoleBindingStrategy,
  clusterRoleStrategy,
  roleBindingStrategy,
  roleStrategy,
} from "./rbac.js";
import { secretStrategy } from "./secret.js";
import { serviceAccountStrategy } from "./service-account.js";

/** Kubernetes' strategies for the kinds tokenplane stores. */
export const defaultStrategies: Readonly<Record<ObjectCase, Strategy>> = {
  namespace: anyStrategy(namespaceStrategy),
  serviceAccount: anyStrategy(serviceAccountStrategy),
  secret: anyStrategy(secretStrategy),
  configMap: anyStrategy(configMapStrategy),
  pod: anyStrategy(podStrategy),
  node: anyStrategy(nodeStrategy),
  role: anyStrategy(roleStrategy),
  clusterRole: anyStrategy(clusterRoleStrategy),
  roleBinding: anyStrategy(roleBindingStrategy),
  clusterRoleBinding: anyStrategy(clusterRoleBindingStrategy),
};
