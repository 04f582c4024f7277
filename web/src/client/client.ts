/**
 * The web client's session with its server, as the Java ChatClient: connect (Hello, Welcome), register or log in with
 * the password (Argon2id here, only a derived key is sent; the identity keys come back from the sealed backup), the
 * vault of what this browser keeps, reconnect by itself (resuming the session and fetching what it missed), files.
 */
import { create } from "@bufbuild/protobuf";
import type { Envelope } from "../gen/fastchat/v1/envelope_pb";
import { ErrorCode } from "../gen/fastchat/v1/errors_pb";
import type { Session } from "../gen/fastchat/v1/accounts_pb";
import { ContentSchema, FileReferenceSchema } from "../gen/fastchat/v1/sealed_pb";
import { concat, equal } from "../crypto/bytes";
import { CryptoError } from "../crypto/errors";
import { decryptChunk, encryptChunk, newFileKey } from "../crypto/fileCipher";
import { IdentityKeyPair } from "../crypto/identity";
import { openKeyBackup, sealKeyBackup } from "../crypto/keyBackup";
import { DEFAULT_KDF, derivePasswordKeys, KDF_CEILING, type KdfParams, within } from "../crypto/password";
import { sha256 } from "../crypto/primitives";
import { ChatError, Connection, expect } from "./connection";
import { canonical, Messenger } from "./messenger";
import type { ChatEvents, Target } from "./types";
import { Vault } from "./vault";

export const PROTOCOL_VERSION = 1;
const CLIENT_NAME = "fastchat-web/0.1";
const RECONNECT_FIRST_MS = 500;
// A browser tab is one user: it comes back within 15 s of a server that is back (the jitter spreads many tabs out).
const RECONNECT_MAX_MS = 15_000;

export interface ServerInfo {
  serverVersion: string;
  nodeId: string;
  serverId: string;
  maxFrameBytes: number;
  maxFileBytes: number;
  idleTimeoutSeconds: number;
}

export interface SessionInfo {
  accountId: bigint;
  username: string;
  token: string;
}

/** The media types shown inline; any other file is only offered for download (an SVG may carry script). */
const INLINE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function isInlineImage(mediaType: string): boolean {
  return INLINE_IMAGES.has(mediaType);
}

export class WebChatClient {
  private connection: Connection | undefined;
  private server: ServerInfo | undefined;
  messenger: Messenger | undefined;
  session: SessionInfo | undefined;
  private vault: Vault | undefined;
  private closed = false;
  private reconnecting = false;

  constructor(
    private readonly url: string,
    private readonly listener: ChatEvents,
  ) {}

  get info(): ServerInfo | undefined {
    return this.server;
  }

  get connected(): boolean {
    return this.connection?.open ?? false;
  }

  private current(): Connection {
    if (!this.connection || !this.connection.open) {
      throw new ChatError(ErrorCode.UNAVAILABLE, "not connected to the server");
    }
    return this.connection;
  }

  /** Opens the connection and says Hello. */
  async connect(): Promise<ServerInfo> {
    const connection = await Connection.open(this.url, (push) => this.pushed(push), (reason) => this.lost(connection, reason));
    const answer = await connection.request({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, client: CLIENT_NAME } });
    if (answer.body.case === "redirect") {
      connection.close();
      throw new ChatError(ErrorCode.UNAVAILABLE, `this node sends new clients to ${answer.body.value.address}: open the web client there`);
    }
    const welcome = expect(answer, "welcome");
    this.connection?.close();
    this.connection = connection;
    this.server = {
      serverVersion: welcome.serverVersion,
      nodeId: welcome.nodeId,
      serverId: welcome.serverId,
      maxFrameBytes: welcome.limits?.maxFrameBytes ?? 1 << 20,
      maxFileBytes: Number(welcome.limits?.maxFileBytes ?? 0n),
      idleTimeoutSeconds: welcome.limits?.idleTimeoutSeconds ?? 60,
    };
    connection.keepAlive(this.server.idleTimeoutSeconds);
    return this.server;
  }

  /** The connection, open again if the server closed it before a log-in (it gives a connection 10 s to log in). */
  private async ready(): Promise<ServerInfo> {
    if (this.connected && this.server) {
      return this.server;
    }
    return this.connect();
  }

  /** Creates an account: identity keys made here, sealed with the password's backup key for the server. */
  async register(username: string, password: string): Promise<SessionInfo> {
    const name = canonical(username);
    const info = await this.ready();
    const keys = await derivePasswordKeys(password, info.serverId, name, DEFAULT_KDF);
    const identity = await IdentityKeyPair.generate();
    const backup = await sealKeyBackup(identity, keys.backupKey, name);
    await this.ready();
    const session = expect(await this.current().request({
      case: "register",
      value: {
        username: name,
        authKey: keys.authKey,
        kdfParams: { algorithm: "argon2id", ...DEFAULT_KDF },
        identity: { keyId: 1, x25519Public: identity.publicIdentity.x25519, ed25519Public: identity.publicIdentity.ed25519 },
        keyBackup: backup,
        device: CLIENT_NAME,
      },
    }), "session");
    return this.start(session, identity, keys.backupKey, DEFAULT_KDF);
  }

  /** Logs in with the password; the identity keys are restored from the server's sealed backup. */
  async login(username: string, password: string): Promise<SessionInfo> {
    const name = canonical(username);
    const info = await this.ready();
    const offered = expect(await this.current().request({ case: "getKdfParams", value: { username: name } }), "kdfParams");
    const kdf: KdfParams = { memoryKib: offered.memoryKib, iterations: offered.iterations, parallelism: offered.parallelism };
    const remembered = await Vault.rememberedKdf(Vault.id(info.serverId, name));
    if (remembered && (remembered.memoryKib !== kdf.memoryKib || remembered.iterations !== kdf.iterations || remembered.parallelism !== kdf.parallelism)) {
      throw new ChatError(ErrorCode.UNTRUSTED_SERVER, `the server now asks to hash the password of ${name} with other parameters than this`
        + " browser logged in with before; a server that changes them may be trying to weaken the password: not logging in");
    }
    if (!remembered && !within(kdf, DEFAULT_KDF, KDF_CEILING)) {
      throw new ChatError(ErrorCode.UNTRUSTED_SERVER, `the server asks to hash the password of ${name} with Argon2id m=${kdf.memoryKib} KiB,`
        + ` t=${kdf.iterations}, p=${kdf.parallelism}, outside this client's floor and ceiling: not logging in`);
    }
    const keys = await derivePasswordKeys(password, info.serverId, name, kdf);
    await this.ready();
    const session = expect(await this.current().request({ case: "login", value: { username: name, authKey: keys.authKey, device: CLIENT_NAME } }), "session");
    let identity: IdentityKeyPair;
    try {
      identity = await openKeyBackup(session.keyBackup, keys.backupKey, session.username);
    } catch (e) {
      throw new ChatError(ErrorCode.INTERNAL, `the key backup on the server does not open: ${(e as Error).message}`);
    }
    return this.start(session, identity, keys.backupKey, kdf);
  }

  private async start(s: Session, identity: IdentityKeyPair, backupKey: Uint8Array, kdf: KdfParams): Promise<SessionInfo> {
    if (!s.identity || !equal(identity.publicIdentity.x25519, s.identity.x25519Public) || !equal(identity.publicIdentity.ed25519, s.identity.ed25519Public)) {
      throw new ChatError(ErrorCode.INTERNAL, `the server's public keys for ${s.username} do not match this account's private keys`);
    }
    let vault: Vault;
    try {
      vault = await Vault.open(Vault.id(this.server!.serverId, s.username), backupKey, kdf, identity);
    } catch (e) {
      if (!(e instanceof CryptoError)) {
        throw e;
      }
      // Saved under an older password: what it kept cannot be read; start anew (pins come back from the trust state).
      await Vault.forget(Vault.id(this.server!.serverId, s.username));
      vault = await Vault.open(Vault.id(this.server!.serverId, s.username), backupKey, kdf, identity);
    }
    this.vault = vault;
    this.messenger = new Messenger(() => this.current(), s.accountId, s.username, s.identity.keyId, identity, vault, this.listener);
    this.session = { accountId: s.accountId, username: s.username, token: s.token };
    await this.messenger.pins.pull();
    return this.session;
  }

  /** Fetches what this browser missed and reports it, in order with the pushes. */
  async catchUp(): Promise<void> {
    const messenger = this.messenger;
    if (!messenger) {
      return;
    }
    await messenger.inOrder(async () => {
      for (const message of await messenger.sync()) {
        this.listener.message(message);
      }
    });
  }

  private pushed(push: Envelope): void {
    if (push.body.case === "sessionEnded") {
      const reason = push.body.value.reason;
      this.endSession(`this session was ended: ${reason}`);
      return;
    }
    this.messenger?.onPush(push, async () => {
      for (const message of await this.messenger!.sync()) {
        this.listener.message(message);
      }
    });
  }

  private endSession(reason: string): void {
    this.session = undefined;
    this.messenger = undefined;
    this.connection?.close();
    this.listener.sessionEnded(reason);
  }

  private lost(connection: Connection, reason: string): void {
    if (this.closed || connection !== this.connection || !this.session) {
      return;
    }
    this.listener.connection("disconnected", reason);
    void this.reconnectWithBackoff();
  }

  private async reconnectWithBackoff(): Promise<void> {
    if (this.reconnecting) {
      return;
    }
    this.reconnecting = true;
    let delay = RECONNECT_FIRST_MS;
    try {
      while (!this.closed && this.session) {
        const wait = delay / 2 + Math.random() * (delay / 2);
        this.listener.connection("reconnecting", `trying again in ${(wait / 1000).toFixed(1)} s`);
        await new Promise((resolve) => setTimeout(resolve, wait));
        try {
          await this.connect();
          const s = expect(await this.current().request({ case: "resume", value: { token: this.session.token } }), "session");
          if (s.accountId !== this.session.accountId) {
            throw new ChatError(ErrorCode.INTERNAL, "the server resumed another account");
          }
          this.session = { ...this.session, token: s.token };
          this.messenger?.forgetServedKeys();
          this.listener.connection("connected", "");
          await this.catchUp();
          return;
        } catch (e) {
          if (e instanceof ChatError && e.code === ErrorCode.UNAUTHENTICATED) {
            this.endSession("the session expired or was ended: log in again");
            return;
          }
        }
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      }
    } finally {
      this.reconnecting = false;
    }
  }

  async logout(): Promise<void> {
    await this.messenger?.pins.flush();
    await this.vault?.flush();
    try {
      await this.current().request({ case: "logout", value: { everywhere: false } });
    } finally {
      this.session = undefined;
      this.messenger = undefined;
      this.close();
    }
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
  }

  // ---- files

  /** Encrypts a file here, uploads it in chunks, and sends the message that shares it (with its key) to {@code target}. */
  async sendFile(target: Target, file: File, progress?: (fraction: number) => void): Promise<{ conversationId: string; seq: number }> {
    const messenger = this.messenger!;
    const info = this.server!;
    if (info.maxFileBytes > 0 && file.size > info.maxFileBytes) {
      throw new ChatError(ErrorCode.TOO_LARGE, `the file is over the server's limit of ${info.maxFileBytes} bytes`);
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const digest = await sha256(bytes);
    let width = 0;
    let height = 0;
    if (isInlineImage(file.type)) {
      try {
        const bitmap = await createImageBitmap(file);
        width = bitmap.width;
        height = bitmap.height;
        bitmap.close();
      } catch {
        // not an image after all: sent as a file
      }
    }
    const conversationId = await messenger.conversationId(target);
    const state = expect(await this.current().request({ case: "uploadStart", value: { conversationId, size: BigInt(bytes.length) } }), "uploadState");
    const key = newFileKey();
    let next = state.nextChunk;
    while (next < state.chunkCount) {
      const chunk = bytes.subarray(next * state.chunkSize, Math.min(bytes.length, (next + 1) * state.chunkSize));
      const data = await encryptChunk(key, state.fileId, next, state.chunkCount, chunk);
      next = expect(await this.current().request({ case: "uploadChunk", value: { fileId: state.fileId, index: next, data } }), "uploadState").nextChunk;
      progress?.(next / state.chunkCount);
    }
    await this.current().request({ case: "uploadDone", value: { fileId: state.fileId } });
    const reference = create(FileReferenceSchema, {
      fileId: state.fileId, name: file.name.slice(0, 200), size: BigInt(bytes.length), mediaType: file.type || "application/octet-stream",
      key, sha256: digest, width, height,
    });
    return messenger.send(target, create(ContentSchema, { kind: { case: "file", value: reference } }), [state.fileId]);
  }

  /** Downloads a file shared in a message this browser opened, decrypts it and checks its SHA-256. */
  async fetchFile(fileId: string): Promise<Blob> {
    const reference = this.messenger?.files.get(fileId);
    if (!reference) {
      throw new ChatError(ErrorCode.UNKNOWN_FILE, "open the message that shares this file first");
    }
    const parts: Uint8Array[] = [];
    let count = 1;
    for (let index = 0; index < count; index++) {
      const chunk = expect(await this.current().request({ case: "download", value: { fileId, index } }), "fileChunk");
      count = chunk.chunkCount;
      parts.push(await decryptChunk(reference.key, fileId, index, count, chunk.data));
    }
    const plain = concat(...parts);
    if (!equal(await sha256(plain), reference.sha256)) {
      throw new ChatError(ErrorCode.BAD_REQUEST, "the file does not match the SHA-256 its message carries: not shown");
    }
    return new Blob([plain], { type: isInlineImage(reference.mediaType) ? reference.mediaType : "application/octet-stream" });
  }
}
