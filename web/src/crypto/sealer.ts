/**
 * Sealed messages of version 2, as the Java client's MessageSealer: the content encrypted once under a fresh
 * AES-256-GCM content key (the header as AAD), the key sealed to each recipient with HPKE, everything signed with
 * Ed25519 over "fastchat v1 message signature" || SHA-256(header) || SHA-256(recipients) || SHA-256(body).
 * {@link openSealed} checks, in order: format, conversation and sender against what the server delivered, the
 * signature against the sender's pinned key, this user's entry, the key commitment; then decrypts.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type Content,
  ContentSchema,
  type MessageHeader,
  MessageHeaderSchema,
  RecipientKeySchema,
  RecipientListSchema,
  SealedBodySchema,
  SealedMessageSchema,
  type SealedMessage,
} from "../gen/fastchat/v1/sealed_pb";
import { type Bytes, concat, equal, random, u64, utf8 } from "./bytes";
import { OpenError } from "./errors";
import type { IdentityKeyPair } from "./identity";
import * as hpke from "./hpke";
import { MAX_PADDED_CONTENT_BYTES, pad, unpad } from "./padding";
import { aesGcmDecrypt, aesGcmEncrypt, ed25519Verify, sha256 } from "./primitives";

export const VERSION = 2;
const VERSION_WITHOUT_COMMITMENT = 1;
const COMMITMENT_CONTEXT = utf8("fastchat v2 key commitment");
const SIGNATURE_CONTEXT = utf8("fastchat v1 message signature");
const KEY_INFO_PREFIX = utf8("fastchat v1 content key");

export interface Sender {
  accountId: bigint;
  keyId: number;
  keys: IdentityKeyPair;
}

export interface Recipient {
  accountId: bigint;
  keyId: number;
  x25519Public: Uint8Array;
}

export interface Opened {
  header: MessageHeader;
  content: Content;
}

export function commitment(context: Uint8Array, key: Uint8Array): Promise<Bytes> {
  return sha256(context, key);
}

export async function signedDigest(header: Uint8Array, recipients: Uint8Array, body: Uint8Array): Promise<Bytes> {
  return concat(SIGNATURE_CONTEXT, await sha256(header), await sha256(recipients), await sha256(body));
}

export async function keyInfo(header: Uint8Array): Promise<Bytes> {
  return concat(KEY_INFO_PREFIX, await sha256(header));
}

/**
 * The serialized header of a message this sender seals: the associated data of its body, covered by the signature.
 * Version 3 (a chain message) names its chain and index.
 */
export function sealedHeader(version: number, sender: Sender, conversationId: string, clientMsgId: string, sentAtMs: bigint,
                             keyCommitment: Uint8Array, chain?: { chainId: Uint8Array; chainIndex: number }): Uint8Array {
  return toBinary(MessageHeaderSchema, create(MessageHeaderSchema, {
    version, conversationId, senderId: sender.accountId, senderKeyId: sender.keyId, clientMsgId, sentAtMs, keyCommitment, ...chain,
  }));
}

export async function signed(keys: IdentityKeyPair, header: Uint8Array, recipients: Uint8Array, body: Uint8Array): Promise<Bytes> {
  const signature = await keys.sign(await signedDigest(header, recipients, body));
  return toBinary(SealedMessageSchema, create(SealedMessageSchema, { header, recipients, body, signature })) as Bytes;
}

/** Seals {@code content} for {@code recipients} (the sender among them, for their other devices and history). */
export async function seal(sender: Sender, conversationId: string, clientMsgId: string, sentAtMs: bigint, content: Content,
                           recipients: Recipient[]): Promise<Bytes> {
  if (recipients.length === 0) {
    throw new Error("a message needs at least one recipient");
  }
  const contentKey = random(32);
  const nonce = random(12);
  const header = sealedHeader(VERSION, sender, conversationId, clientMsgId, sentAtMs, await commitment(COMMITMENT_CONTEXT, contentKey));
  const body = toBinary(SealedBodySchema, create(SealedBodySchema, {
    nonce,
    ciphertext: await aesGcmEncrypt(contentKey, nonce, header, pad(toBinary(ContentSchema, content))),
  }));
  const info = await keyInfo(header);
  const list = create(RecipientListSchema);
  for (const recipient of recipients) {
    const sealedKey = await hpke.seal(recipient.x25519Public, info, u64(recipient.accountId), contentKey);
    list.recipients.push(create(RecipientKeySchema, {
      accountId: recipient.accountId,
      keyId: recipient.keyId,
      enc: sealedKey.enc,
      sealedContentKey: sealedKey.ciphertext,
    }));
  }
  contentKey.fill(0);
  return signed(sender.keys, header, toBinary(RecipientListSchema, list), body);
}

export function parseSealed(sealed: Uint8Array): { message: SealedMessage; header: MessageHeader } {
  try {
    const message = fromBinary(SealedMessageSchema, sealed);
    return { message, header: fromBinary(MessageHeaderSchema, message.header) };
  } catch {
    throw new OpenError("MALFORMED", "not a sealed message");
  }
}

/** Checks the signature of {@code message} against the sender's key. */
export async function verify(message: SealedMessage, senderSigningKey: Uint8Array): Promise<void> {
  const digest = await signedDigest(message.header, message.recipients, message.body);
  if (!(await ed25519Verify(senderSigningKey, message.signature, digest))) {
    throw new OpenError("BAD_SIGNATURE", "the signature does not match the sender's key");
  }
}

export function checkDelivery(header: MessageHeader, conversationId: string, senderId: bigint): void {
  if (header.conversationId !== conversationId) {
    throw new OpenError("WRONG_CONVERSATION", `sealed for conversation ${header.conversationId} but delivered in ${conversationId}`);
  }
  if (header.senderId !== senderId) {
    throw new OpenError("WRONG_SENDER", `sealed as from account ${header.senderId} but delivered from account ${senderId}`);
  }
}

export function parseContent(padded: Uint8Array): Content {
  const bytes = unpad(padded);
  try {
    return fromBinary(ContentSchema, bytes);
  } catch {
    throw new OpenError("MALFORMED", "the content is malformed");
  }
}

/**
 * Checks and opens a version 2 (or 1) sealed message.
 *
 * @param myPrivate this user's X25519 private key for HPKE (hpke.importPrivate)
 */
export async function openSealed(sealed: Uint8Array, conversationId: string, senderId: bigint, senderSigningKey: Uint8Array,
                                 myAccountId: bigint, myPrivate: CryptoKey): Promise<Opened> {
  const { message, header } = parseSealed(sealed);
  let recipients;
  let body;
  try {
    recipients = fromBinary(RecipientListSchema, message.recipients);
    body = fromBinary(SealedBodySchema, message.body);
  } catch {
    throw new OpenError("MALFORMED", "not a sealed message");
  }
  if (header.version !== VERSION && header.version !== VERSION_WITHOUT_COMMITMENT) {
    throw new OpenError("MALFORMED", `sealed with unknown version ${header.version}`);
  }
  checkDelivery(header, conversationId, senderId);
  await verify(message, senderSigningKey);
  const seen = new Set<bigint>();
  let mine = undefined;
  for (const recipient of recipients.recipients) {
    if (seen.has(recipient.accountId)) {
      throw new OpenError("MALFORMED", `account ${recipient.accountId} is listed twice`);
    }
    seen.add(recipient.accountId);
    if (recipient.accountId === myAccountId) {
      mine = recipient;
    }
  }
  if (!mine) {
    throw new OpenError("NOT_A_RECIPIENT", `this message was not sealed for account ${myAccountId}`);
  }
  let contentKey: Bytes;
  try {
    contentKey = await hpke.open(mine.enc, myPrivate, await keyInfo(message.header), u64(myAccountId), mine.sealedContentKey);
  } catch {
    throw new OpenError("TAMPERED", "the content key does not open with this identity");
  }
  if (header.version === VERSION && !equal(await commitment(COMMITMENT_CONTEXT, contentKey), header.keyCommitment)) {
    throw new OpenError("TAMPERED", "the content key does not match the key commitment in the signed header");
  }
  if (body.nonce.length !== 12 || body.ciphertext.length > MAX_PADDED_CONTENT_BYTES + 16) {
    throw new OpenError("MALFORMED", "the body is malformed or too large");
  }
  let padded: Bytes;
  try {
    padded = await aesGcmDecrypt(contentKey, body.nonce, message.header, body.ciphertext);
  } catch {
    throw new OpenError("TAMPERED", "the body does not decrypt: it was altered");
  } finally {
    contentKey.fill(0);
  }
  return { header, content: parseContent(padded) };
}
