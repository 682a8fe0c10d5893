/**
 * @tokenplane/admission: the ServiceAccount admission service. Its public surface is for tests
 * and tools; the service itself runs from `main.ts`.
 */
export { type AdmissionServiceOptions, admissionService, authorizeCallers } from "./admission-service.js";
export { APISERVER_USER, admissionFlags } from "./config.js";
export * from "./plugin/index.js";
export {
  SERVICE_ACCOUNTS_DURABLE,
  type ServiceAccountCache,
  type ServiceAccountCacheOptions,
  type ServiceAccountInformerOptions,
  serviceAccountClient,
  serviceAccountInformer,
  startServiceAccountCache,
} from "./service-account-sources.js";
