/**
 * All of tokenplane.v1 (objects, events, the apiserver and admission services) as one module, so
 * that index.ts can expose it as the single namespace `tokenplanev1`.
 */
export * from "./gen/tokenplane/v1/admission_pb.js";
export * from "./gen/tokenplane/v1/apiserver_pb.js";
export * from "./gen/tokenplane/v1/events_pb.js";
export * from "./gen/tokenplane/v1/objects_pb.js";
