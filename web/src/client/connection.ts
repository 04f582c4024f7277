/**
 * The protocol over a WebSocket: one binary frame per Envelope each way, requests matched to responses by request id
 * (an Error answers a request by failing it), server pushes (request id 0) handed on in order, and a Ping while idle.
 */
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type Envelope, EnvelopeSchema } from "../gen/fastchat/v1/envelope_pb";
import { ErrorCode } from "../gen/fastchat/v1/errors_pb";

/** What an Envelope may carry, as protobuf-es writes a oneof. */
export type Body = Exclude<Envelope["body"], { case: undefined }>;
export type BodyInit = NonNullable<MessageInitShape<typeof EnvelopeSchema>["body"]>;
type Of<C> = Extract<Body, { case: C }> extends { value: infer V } ? V : never;

/** A refusal by the server (or a local one, such as a lost connection), with the protocol's error code. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ChatError";
  }

  get codeName(): string {
    return ErrorCode[this.code] ?? String(this.code);
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

interface Pending {
  resolve: (envelope: Envelope) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Connection {
  private nextId = 1n;
  private readonly pending = new Map<bigint, Pending>();
  private pinger: ReturnType<typeof setInterval> | undefined;
  private closedOnPurpose = false;
  private lastSent = Date.now();

  private constructor(
    private readonly socket: WebSocket,
    private readonly onPush: (push: Envelope) => void,
    private readonly onClose: (reason: string) => void,
  ) {}

  /** The address of this page's server's WebSocket: the same origin, at /ws. */
  static defaultUrl(): string {
    const url = new URL("/ws", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  }

  static open(url: string, onPush: (push: Envelope) => void, onClose: (reason: string) => void): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.binaryType = "arraybuffer";
      const connection = new Connection(socket, onPush, onClose);
      let opened = false;
      socket.onopen = () => {
        opened = true;
        resolve(connection);
      };
      socket.onmessage = (event) => connection.received(new Uint8Array(event.data as ArrayBuffer));
      socket.onclose = (event) => {
        const reason = event.reason || (event.code === 1009 ? "a message was too large" : `connection closed (${event.code})`);
        if (!opened) {
          reject(new ChatError(ErrorCode.UNAVAILABLE, `cannot reach the server at ${url}`));
          return;
        }
        connection.ended(reason);
      };
    });
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends Ping when nothing was sent for a third of the server's idle timeout. */
  keepAlive(idleTimeoutSeconds: number): void {
    const every = Math.max(1000, (idleTimeoutSeconds * 1000) / 3);
    clearInterval(this.pinger);
    this.pinger = setInterval(() => {
      if (Date.now() - this.lastSent >= every - 50) {
        this.request({ case: "ping", value: {} }).catch(() => {});
      }
    }, every / 2);
  }

  /** Sends a request; resolves with its response, rejects with the server's Error as a ChatError. */
  request(body: BodyInit): Promise<Envelope> {
    if (!this.open) {
      return Promise.reject(new ChatError(ErrorCode.UNAVAILABLE, "not connected to the server"));
    }
    const id = this.nextId++;
    const envelope = create(EnvelopeSchema, { requestId: id, body });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ChatError(ErrorCode.UNAVAILABLE, "no answer from the server"));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.lastSent = Date.now();
      this.socket.send(toBinary(EnvelopeSchema, envelope));
    });
  }

  close(): void {
    this.closedOnPurpose = true;
    clearInterval(this.pinger);
    this.socket.close(1000, "closed by the user");
    this.failAll("the connection was closed");
  }

  private received(bytes: Uint8Array): void {
    let envelope: Envelope;
    try {
      envelope = fromBinary(EnvelopeSchema, bytes);
    } catch {
      this.socket.close(1002, "malformed envelope");
      return;
    }
    if (envelope.requestId === 0n) {
      if (envelope.body.case === "error") {
        // The server says why it is about to close the connection.
        this.lastError = envelope.body.value.reason;
        return;
      }
      this.onPush(envelope);
      return;
    }
    const waiting = this.pending.get(envelope.requestId);
    if (!waiting) {
      return;
    }
    this.pending.delete(envelope.requestId);
    clearTimeout(waiting.timer);
    if (envelope.body.case === "error") {
      waiting.reject(new ChatError(envelope.body.value.code, envelope.body.value.reason));
    } else {
      waiting.resolve(envelope);
    }
  }

  private lastError: string | undefined;

  private ended(reason: string): void {
    clearInterval(this.pinger);
    const why = this.lastError ?? reason;
    this.failAll(why);
    if (!this.closedOnPurpose) {
      this.onClose(why);
    }
  }

  private failAll(reason: string): void {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new ChatError(ErrorCode.UNAVAILABLE, reason));
      this.pending.delete(id);
    }
  }
}

/** The response's body of the expected case, or a ChatError (INTERNAL) naming what came instead. */
export function expect<C extends Body["case"]>(envelope: Envelope, kind: C): Of<C> {
  if (envelope.body.case !== kind) {
    throw new ChatError(ErrorCode.INTERNAL, `the server answered with ${envelope.body.case ?? "nothing"} instead of ${kind}`);
  }
  return envelope.body.value as Of<C>;
}
