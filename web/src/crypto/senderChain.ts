/**
 * Sender chains (Signal's sender keys, Matrix's Megolm), as the Java client's SenderChain: message key i =
 * HMAC-SHA256(chain key i, 0x01), chain key i+1 = HMAC-SHA256(chain key i, 0x02); AES-256-GCM key and nonce of
 * message i = HKDF-SHA256(message key i, "fastchat v3 sender message key", 44 bytes); the version 3 header (with a
 * SHA-256 commitment to the message key) is the AAD; the signature is version 2's, over an empty recipient list.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Content, ContentSchema, SealedBodySchema, type SenderKey, SenderKeySchema } from "../gen/fastchat/v1/sealed_pb";
import { type Bytes, equal, random, utf8 } from "./bytes";
import { OpenError } from "./errors";
import { MAX_PADDED_CONTENT_BYTES, pad } from "./padding";
import { aesGcmDecrypt, aesGcmEncrypt, hkdf, hmacSha256 } from "./primitives";
import { checkDelivery, commitment, type Opened, parseContent, parseSealed, type Sender, sealedHeader, signed, verify } from "./sealer";

export const VERSION = 3;
export const CHAIN_ID_BYTES = 16;
export const CHAIN_KEY_BYTES = 32;
export const MAX_SKIPPED = 2000;
export const MAX_INDEX = 1 << 16;
const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);
const MESSAGE_KEY_INFO = utf8("fastchat v3 sender message key");
const COMMITMENT_CONTEXT = utf8("fastchat v3 message key commitment");

const next = (chainKey: Uint8Array) => hmacSha256(chainKey, CHAIN_KEY_SEED);
const messageKey = (chainKey: Uint8Array) => hmacSha256(chainKey, MESSAGE_KEY_SEED);

async function material(key: Uint8Array): Promise<{ aesKey: Bytes; nonce: Bytes }> {
  const bytes = await hkdf(key, new Uint8Array(0), MESSAGE_KEY_INFO, 44);
  return { aesKey: bytes.slice(0, 32), nonce: bytes.slice(32, 44) };
}

/** This user's chain in one conversation. One message at a time: callers serialize {@link seal}. */
export class SendingChain {
  private constructor(
    readonly chainId: Bytes,
    private index: number,
    private chainKey: Bytes,
  ) {}

  static create(): SendingChain {
    return new SendingChain(random(CHAIN_ID_BYTES), 0, random(CHAIN_KEY_BYTES));
  }

  /** A chain as saved: its id, next index and the chain key there. */
  static restore(chainId: Uint8Array, index: number, chainKey: Uint8Array): SendingChain {
    if (chainId.length !== CHAIN_ID_BYTES || chainKey.length !== CHAIN_KEY_BYTES || index < 0 || index > MAX_INDEX) {
      throw new Error("not a sender chain");
    }
    return new SendingChain(new Uint8Array(chainId), index, new Uint8Array(chainKey));
  }

  get nextIndex(): number {
    return this.index;
  }

  get currentChainKey(): Bytes {
    return new Uint8Array(this.chainKey);
  }

  exhausted(): boolean {
    return this.index >= MAX_INDEX;
  }

  /** What members are told: the chain key from the next index on. */
  announcement(): SenderKey {
    return create(SenderKeySchema, { chainId: this.chainId, firstIndex: this.index, chainKey: this.currentChainKey });
  }

  /** Seals the chain's next message and moves on (the keys behind are forgotten). */
  async seal(sender: Sender, conversationId: string, clientMsgId: string, sentAtMs: bigint, content: Content): Promise<Bytes> {
    if (this.exhausted()) {
      throw new Error("the chain is used up: start a new one");
    }
    const padded = pad(toBinary(ContentSchema, content));
    const key = await messageKey(this.chainKey);
    const header = sealedHeader(VERSION, sender, conversationId, clientMsgId, sentAtMs, await commitment(COMMITMENT_CONTEXT, key),
      { chainId: this.chainId, chainIndex: this.index });
    const nextKey = await next(this.chainKey);
    this.chainKey.fill(0);
    this.chainKey = nextKey;
    this.index++;
    const { aesKey, nonce } = await material(key);
    key.fill(0);
    const ciphertext = await aesGcmEncrypt(aesKey, nonce, header, padded);
    const body = toBinary(SealedBodySchema, create(SealedBodySchema, { ciphertext }));
    return signed(sender.keys, header, new Uint8Array(0), body);
  }
}

/** Another member's chain (or this user's from another session), as announced: opens its messages in any order. */
export class ReceivingChain {
  readonly chainId: Bytes;
  private readonly firstIndex: number;
  private readonly firstKey: Bytes;
  private index: number;
  private chainKey: Bytes;
  /** Message keys of skipped indices below {@link index}, oldest first, at most MAX_SKIPPED. */
  private readonly skipped = new Map<number, Bytes>();

  constructor(
    readonly conversationId: string,
    readonly senderId: bigint,
    announcement: SenderKey,
  ) {
    if (announcement.chainId.length !== CHAIN_ID_BYTES || announcement.chainKey.length !== CHAIN_KEY_BYTES
        || announcement.firstIndex > MAX_INDEX) {
      throw new OpenError("MALFORMED", "the announced sender chain is malformed");
    }
    this.chainId = new Uint8Array(announcement.chainId);
    this.firstIndex = announcement.firstIndex;
    this.firstKey = new Uint8Array(announcement.chainKey);
    this.index = this.firstIndex;
    this.chainKey = new Uint8Array(this.firstKey);
  }

  /** The announcement this chain was made from (to keep it). */
  announcement(): SenderKey {
    return create(SenderKeySchema, { chainId: this.chainId, firstIndex: this.firstIndex, chainKey: this.firstKey });
  }

  /** Checks and opens a message of this chain; the chain moves only for a message whose signature holds. */
  async open(sealed: Uint8Array, deliveredIn: string, deliveredFrom: bigint, senderSigningKey: Uint8Array): Promise<Opened> {
    const { message, header } = parseSealed(sealed);
    let body;
    try {
      body = fromBinary(SealedBodySchema, message.body);
    } catch {
      throw new OpenError("MALFORMED", "not a sealed message");
    }
    if (header.version !== VERSION) {
      throw new OpenError("MALFORMED", `not a message of a sender chain (version ${header.version})`);
    }
    checkDelivery(header, deliveredIn, deliveredFrom);
    if (this.conversationId !== deliveredIn) {
      throw new OpenError("WRONG_CONVERSATION", `a chain of ${this.conversationId}, delivered in ${deliveredIn}`);
    }
    if (this.senderId !== deliveredFrom) {
      throw new OpenError("WRONG_SENDER", `a chain of account ${this.senderId}, delivered from account ${deliveredFrom}`);
    }
    if (!equal(header.chainId, this.chainId)) {
      throw new OpenError("UNKNOWN_CHAIN", "sealed in another sender chain");
    }
    if (message.recipients.length !== 0) {
      throw new OpenError("BAD_SIGNATURE", "missing or malformed signature");
    }
    await verify(message, senderSigningKey);
    const at = header.chainIndex;
    if (at < this.firstIndex || at >= MAX_INDEX) {
      throw new OpenError("UNKNOWN_CHAIN", `index ${at} is outside the announced chain (from ${this.firstIndex})`);
    }
    if (body.ciphertext.length > MAX_PADDED_CONTENT_BYTES + 16 || body.nonce.length !== 0) {
      throw new OpenError("MALFORMED", "the body is malformed or too large");
    }
    const key = await this.keyAt(at);
    if (!equal(await commitment(COMMITMENT_CONTEXT, key), header.keyCommitment)) {
      throw new OpenError("TAMPERED", "the message key does not match the key commitment in the signed header");
    }
    const { aesKey, nonce } = await material(key);
    key.fill(0);
    let padded: Bytes;
    try {
      padded = await aesGcmDecrypt(aesKey, nonce, message.header, body.ciphertext);
    } catch {
      throw new OpenError("TAMPERED", "the body does not decrypt: it was altered");
    }
    return { header, content: parseContent(padded) };
  }

  private async keyAt(at: number): Promise<Bytes> {
    const kept = this.skipped.get(at);
    if (kept) {
      this.skipped.delete(at);
      return kept;
    }
    if (at >= this.index) {
      while (this.index < at) {
        this.skipped.set(this.index, await messageKey(this.chainKey));
        if (this.skipped.size > MAX_SKIPPED) {
          const eldest = this.skipped.keys().next().value!;
          this.skipped.get(eldest)!.fill(0);
          this.skipped.delete(eldest);
        }
        await this.step();
      }
      return messageKey(this.chainKey);
    }
    let key = new Uint8Array(this.firstKey); // older than the window: the announced key leads there again
    for (let i = this.firstIndex; i < at; i++) {
      const nextKey = await next(key);
      key.fill(0);
      key = nextKey;
    }
    return messageKey(key);
  }

  private async step(): Promise<void> {
    const nextKey = await next(this.chainKey);
    this.chainKey.fill(0);
    this.chainKey = nextKey;
    this.index++;
  }
}
