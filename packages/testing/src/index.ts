/**
 * @tokenplane/testing: the test harness. This file is the package's whole public surface.
 */

// Private NATS servers for tests.
export { candidatePorts, freePort } from "./free-port.js";
export { type KubectlOptions, type KubectlResult, kubectlBinary, runKubectl } from "./kubectl.js";
export {
  findNatsServer,
  type NatsServer,
  type NatsServerOptions,
  type RestartOptions,
  startNatsServer,
} from "./nats-server.js";
// The real control plane for end-to-end tests.
export { startTestStack, type TestStack, type TestStackOptions } from "./test-stack.js";
