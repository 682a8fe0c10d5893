/**
 * The ServiceAccount admission plugin's rule code (Kubernetes'
 * `plugin/pkg/admission/serviceaccount`), pure: the service wiring supplies the ServiceAccount
 * cache and client. See README.md for what each module implements.
 */
export * from "./admit.js";
export * from "./constants.js";
export * from "./limit-secret-references.js";
export * from "./mount-service-account-token.js";
export * from "./parse-go-bool.js";
export * from "./service-account-getter.js";
