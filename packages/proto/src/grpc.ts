/**
 * Glue between protobuf-es v2 services and @grpc/grpc-js (no maintained package does this;
 * toolchain.md "Protobuf"). A generated `DescService` becomes a grpc-js `ServiceDefinition` whose
 * paths are `/${typeName}/${name}` and whose serializers are `toBinary` / `fromBinary`, so the
 * wire is standard gRPC. Unary and server-streaming methods only.
 */
import type {
  DescMessage,
  DescMethod,
  DescService,
  Message,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

type Kinds = "unary" | "server_streaming";
type Unary<I extends DescMessage, O extends DescMessage> = { methodKind: "unary"; input: I; output: O };
type ServerStreaming<I extends DescMessage, O extends DescMessage> = {
  methodKind: "server_streaming";
  input: I;
  output: O;
};
/** The method keys (generated local names) of S whose kind this glue supports. */
type SupportedKeys<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K]["methodKind"] extends Kinds ? K : never;
}[keyof S["method"]];

/** What a handler gets besides the request. */
export interface HandlerContext {
  /** The request headers. */
  metadata: grpc.Metadata;
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;
  /**
   * Aborted when the client cancels the call (grpc-js 'cancelled': the stream closed before the
   * status was sent). A server-side deadline alone does not abort it.
   */
  signal: AbortSignal;
  /** Merged into the trailers sent with the status (OK or error). */
  sendTrailers(md: grpc.Metadata): void;
}

/**
 * What a server implements: one function per method, keyed by the generated local name (`get`,
 * `createToken`). Unary: resolves to the response. Server-streaming: yields the responses.
 */
export type ServiceImpl<S extends DescService> = {
  [K in SupportedKeys<S>]: ImplMethod<S["method"][K]>;
};
type ImplMethod<M> =
  M extends Unary<infer I, infer O>
    ? (request: MessageShape<I>, ctx: HandlerContext) => Promise<MessageInitShape<O>>
    : M extends ServerStreaming<infer I, infer O>
      ? (request: MessageShape<I>, ctx: HandlerContext) => AsyncIterable<MessageInitShape<O>>
      : never;

export interface ServerOptions {
  /** Wraps every handler invocation (trace context, auth, metrics); must call `run` to run the handler. */
  wrap?: (method: DescMethod, ctx: HandlerContext, run: () => Promise<void>) => Promise<void>;
  /** Turns a thrown error into a gRPC status. Default: INTERNAL with the error's message. */
  toStatus?: (err: unknown, method: DescMethod) => Partial<grpc.StatusObject> & { code: grpc.status };
}

export interface CallOptions {
  /** Sent with the call, after (and merged with) ClientOptions.metadata. */
  metadata?: grpc.Metadata;
  /** Absolute deadline: a Date or milliseconds since the epoch. Default: none. */
  deadline?: grpc.Deadline;
  /** Aborting cancels the call. */
  signal?: AbortSignal;
  /** Receives the trailers the server sent with the status, on success and on error. */
  onTrailers?: (md: grpc.Metadata) => void;
}

export interface ClientOptions {
  /** Adds metadata to every call (trace context). */
  metadata?: () => grpc.Metadata | undefined;
  /** Turns a grpc ServiceError into the error the caller sees. Default: the ServiceError itself. */
  fromError?: (err: grpc.ServiceError) => unknown;
}

/**
 * Unary methods become `(req, opts?) => Promise<response>`; server-streaming methods become
 * `(req, opts?) => AsyncIterable<response>` (leaving the iteration early cancels the call).
 */
export type ServiceClient<S extends DescService> = {
  [K in SupportedKeys<S>]: ClientMethod<S["method"][K]>;
};
type ClientMethod<M> =
  M extends Unary<infer I, infer O>
    ? (request: MessageInitShape<I>, opts?: CallOptions) => Promise<MessageShape<O>>
    : M extends ServerStreaming<infer I, infer O>
      ? (request: MessageInitShape<I>, opts?: CallOptions) => AsyncIterable<MessageShape<O>>
      : never;

function supportedMethods(service: DescService): DescMethod[] {
  for (const m of service.methods) {
    if (m.methodKind !== "unary" && m.methodKind !== "server_streaming") {
      throw new TypeError(`${service.typeName}.${m.name}: ${m.methodKind} methods are not supported`);
    }
  }
  return service.methods;
}

/** The grpc-js definition of a service, keyed by method local name. */
export function serviceDefinition<S extends DescService>(service: S): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const m of supportedMethods(service)) {
    def[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      originalName: m.name,
      requestStream: false,
      responseStream: m.methodKind === "server_streaming",
      requestSerialize: (msg) => Buffer.from(toBinary(m.input, msg)),
      requestDeserialize: (bytes) => fromBinary(m.input, bytes),
      responseSerialize: (msg) => Buffer.from(toBinary(m.output, msg)),
      responseDeserialize: (bytes) => fromBinary(m.output, bytes),
    };
  }
  return def;
}

type UnaryFn = (req: Message, ctx: HandlerContext) => Promise<MessageInitShape<DescMessage>>;
type StreamFn = (req: Message, ctx: HandlerContext) => AsyncIterable<MessageInitShape<DescMessage>>;

/**
 * Registers `impl` for `service` on `server`. Handler errors never escape: they become the call's
 * status through `toStatus`. Streams respect backpressure (waiting for 'drain').
 */
export function addService<S extends DescService>(
  server: grpc.Server,
  service: S,
  impl: ServiceImpl<S>,
  options: ServerOptions = {},
): void {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of supportedMethods(service)) {
    const fn: unknown = (impl as Record<string, unknown>)[method.localName];
    if (typeof fn !== "function") {
      throw new TypeError(`${service.typeName}.${method.name}: no implementation for "${method.localName}"`);
    }
    // Runs the handler inside `wrap`; sync throws become rejections.
    const invoke = async (ctx: HandlerContext, run: () => Promise<void>) =>
      options.wrap ? options.wrap(method, ctx, run) : run();
    const errorStatus = (err: unknown, trailers: grpc.Metadata): grpc.StatusObject => {
      let s: Partial<grpc.StatusObject> & { code: grpc.status };
      try {
        s = options.toStatus ? options.toStatus(err, method) : defaultStatus(err);
      } catch (mappingErr) {
        s = defaultStatus(mappingErr);
      }
      const metadata = trailers.clone();
      if (s.metadata) metadata.merge(s.metadata);
      return { code: s.code, details: s.details ?? "", metadata };
    };
    if (method.methodKind === "unary") {
      handlers[method.localName] = (
        call: grpc.ServerUnaryCall<Message, Message>,
        callback: grpc.sendUnaryData<Message>,
      ) => {
        const { ctx, trailers } = context(call);
        let response: Message | undefined;
        const run = async () => {
          response = create(method.output, await (fn as UnaryFn)(call.request, ctx));
        };
        invoke(ctx, run).then(
          () => {
            if (response) callback(null, response, trailers);
            else callback(errorStatus(new Error(`${method.name}: wrap did not run the handler`), trailers));
          },
          (err: unknown) => callback(errorStatus(err, trailers)),
        );
      };
    } else {
      handlers[method.localName] = (call: grpc.ServerWritableStream<Message, Message>) => {
        const { ctx, trailers } = context(call);
        const run = async () => {
          const it = (fn as StreamFn)(call.request, ctx)[Symbol.asyncIterator]();
          const aborted = new Promise<"aborted">((resolve) => onAbort(ctx.signal, () => resolve("aborted")));
          try {
            while (!ctx.signal.aborted) {
              const next = await Promise.race([it.next(), aborted]);
              if (next === "aborted" || next.done) return;
              if (!call.write(create(method.output, next.value))) await drained(call, ctx.signal);
            }
          } finally {
            if (ctx.signal.aborted) it.return?.().catch(() => {});
          }
        };
        invoke(ctx, run).then(
          () => {
            if (!call.cancelled) call.end(trailers);
          },
          (err: unknown) => {
            if (!call.cancelled) call.emit("error", errorStatus(err, trailers));
          },
        );
      };
    }
  }
  server.addService(serviceDefinition(service), handlers);
}

function context(call: grpc.ServerUnaryCall<Message, Message> | grpc.ServerWritableStream<Message, Message>) {
  const abort = new AbortController();
  call.once("cancelled", () => abort.abort());
  const trailers = new grpc.Metadata();
  const ctx: HandlerContext = {
    metadata: call.metadata,
    call: call as HandlerContext["call"],
    signal: abort.signal,
    sendTrailers: (md) => trailers.merge(md),
  };
  return { ctx, trailers };
}

function defaultStatus(err: unknown): grpc.StatusObject {
  return {
    code: grpc.status.INTERNAL,
    details: err instanceof Error ? err.message : String(err),
    metadata: new grpc.Metadata(),
  };
}

function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}

/** Resolves when the stream can take more writes, or when the call is cancelled or closed. */
function drained(call: grpc.ServerWritableStream<Message, Message>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("close", done);
      off();
      resolve();
    };
    call.on("drain", done);
    call.on("close", done);
    const off = onAbort(signal, done);
  });
}

/**
 * A typed client for `service` over an existing grpc-js client (which owns channel and credentials).
 * A streaming method's call starts when iteration starts; each iteration is its own call.
 */
export function createClient<S extends DescService>(
  service: S,
  client: grpc.Client,
  options: ClientOptions = {},
): ServiceClient<S> {
  const toError = (err: grpc.ServiceError): unknown => (options.fromError ? options.fromError(err) : err);
  const setup = (opts: CallOptions) => {
    const md = new grpc.Metadata();
    const base = options.metadata?.();
    if (base) md.merge(base);
    if (opts.metadata) md.merge(opts.metadata);
    const callOpts: grpc.CallOptions = opts.deadline === undefined ? {} : { deadline: opts.deadline };
    return { md, callOpts };
  };
  const out: Record<string, unknown> = {};
  for (const m of supportedMethods(service)) {
    const path = `/${service.typeName}/${m.name}`;
    const ser = (msg: Message) => Buffer.from(toBinary(m.input, msg));
    const de = (bytes: Buffer) => fromBinary(m.output, bytes);
    if (m.methodKind === "unary") {
      out[m.localName] = (req: MessageInitShape<DescMessage>, opts: CallOptions = {}) =>
        new Promise<Message>((resolve, reject) => {
          const { md, callOpts } = setup(opts);
          let result: { err: grpc.ServiceError | null; res: Message | undefined } | undefined;
          const call = client.makeUnaryRequest(
            path,
            ser,
            de,
            create(m.input, req),
            md,
            callOpts,
            (err, res) => {
              result = { err, res };
            },
          );
          const offAbort = opts.signal ? onAbort(opts.signal, () => call.cancel()) : () => {};
          // grpc-js reports the callback first, then 'status' with the trailers: settle on 'status'.
          call.on("status", (status) => {
            offAbort();
            opts.onTrailers?.(status.metadata);
            if (result?.err || !result?.res) reject(toError(result?.err ?? statusError(status)));
            else resolve(result.res);
          });
        });
    } else {
      out[m.localName] = (
        req: MessageInitShape<DescMessage>,
        opts: CallOptions = {},
      ): AsyncIterable<Message> => ({
        async *[Symbol.asyncIterator]() {
          const { md, callOpts } = setup(opts);
          const call = client.makeServerStreamRequest(path, ser, de, create(m.input, req), md, callOpts);
          let finished = false;
          // grpc-js emits 'error' after the iteration may have stopped listening (e.g. CANCELLED).
          call.on("error", () => {});
          call.on("status", (status) => {
            finished = true;
            opts.onTrailers?.(status.metadata);
          });
          const offAbort = opts.signal ? onAbort(opts.signal, () => call.cancel()) : () => {};
          try {
            for await (const msg of call as AsyncIterable<Message>) yield msg;
          } catch (err) {
            throw toError(err as grpc.ServiceError);
          } finally {
            offAbort();
            if (!finished) call.cancel();
          }
        },
      });
    }
  }
  return out as ServiceClient<S>;
}

function statusError(status: grpc.StatusObject): grpc.ServiceError {
  return Object.assign(new Error(`${status.code} ${grpc.status[status.code]}: ${status.details}`), status);
}
