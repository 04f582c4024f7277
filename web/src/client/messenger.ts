/**
 * The end-to-end encrypted messaging of one logged-in user, as the Java client's Messenger: key lookup and pinning,
 * sealing in sender chains (announced to each member apart), opening (signature, key commitment, replay), groups whose
 * members must be those their signed membership chain proves, receipts and typing notices.
 */
import { create } from "@bufbuild/protobuf";
import { v7 as timeOrderedId } from "uuid";
import type { Message } from "../gen/fastchat/v1/messages_pb";
import { ReceiptKind, type Content, ContentSchema } from "../gen/fastchat/v1/sealed_pb";
import { type MemberList, MembershipAction, MembershipStatementSchema, Role, type SignedStatement } from "../gen/fastchat/v1/groups_pb";
import type { UserKeys } from "../gen/fastchat/v1/keys_pb";
import type { Envelope } from "../gen/fastchat/v1/envelope_pb";
import { ErrorCode } from "../gen/fastchat/v1/errors_pb";
import { ConversationKind } from "../gen/fastchat/v1/messages_pb";
import { equal, hex, random, u32, u64, utf8 } from "../crypto/bytes";
import { OpenError } from "../crypto/errors";
import * as hpke from "../crypto/hpke";
import type { IdentityKeyPair, PublicIdentity } from "../crypto/identity";
import { CHAIN_ID_BYTES, hashStatement, InvalidChainError, type Roster, signStatement, verifyChain } from "../crypto/membership";
import { MAX_TEXT_BYTES } from "../crypto/padding";
import { sha256 } from "../crypto/primitives";
import { safetyNumber } from "../crypto/safetyNumber";
import { openSealed, parseSealed, type Recipient, seal, type Sender } from "../crypto/sealer";
import { ReceivingChain, SendingChain, VERSION as CHAIN_VERSION } from "../crypto/senderChain";
import { ChatError, type Connection, expect } from "./connection";
import { Locks, Serial } from "./serial";
import { TrustStore } from "./trust";
import type { ChatEvents, ChatMessage, ConversationSummary, GroupMember, GroupSummary, Invitation, KeyTrust, Target } from "./types";
import type { Vault } from "./vault";

const MEMBERS_CHANGING_LIMIT_MS = 10_000;
const DELIVERED_DELAY_MS = 300;
const NOTICE_WINDOW_MS = 30_000;
const ROTATE_AFTER = 1000;
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const MAX_REACTION_BYTES = 32;
export const MAX_HISTORY_PAGE = 200;
const SEEN_LIMIT = 100_000;

interface OwnChain {
  chain: SendingChain;
  addressedTo: Uint8Array;
  startedAt: number;
  sealed: number;
}

interface Addressed {
  conversationId: string;
  recipients: Recipient[];
}

/** The direct conversation of two accounts: d:<low>:<high>, as the server and the Java client name it. */
export function directConversation(a: bigint, b: bigint): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

/** Whether to try again after {@code e}: a group's members changed meanwhile, and the time for that is not up. */
function membersChangedMeanwhile(e: unknown, started: number): boolean {
  return e instanceof ChatError && e.code === ErrorCode.MEMBERS_CHANGED && Date.now() - started <= MEMBERS_CHANGING_LIMIT_MS;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{2,31}$/;

/** A name in the form the server keeps (case-folded), or a ChatError (INVALID_NAME). */
export function canonical(name: string): string {
  const folded = name.trim().toLowerCase();
  if (!NAME.test(folded)) {
    throw new ChatError(ErrorCode.INVALID_NAME, `'${name}' is not a valid name: 3 to 32 of a-z, 0-9, '_', '.', '-', starting with a letter or digit`);
  }
  return folded;
}

function isControl(text: string): boolean {
  return /[\u0000-\u001f\u007f-\u009f]/.test(text);
}

/** A map that forgets its oldest entries beyond a limit. */
class Bounded<V> extends Map<string, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: string, value: V): this {
    super.set(key, value);
    if (this.size > this.limit) {
      this.delete(this.keys().next().value!);
    }
    return this;
  }
}

export class Messenger {
  readonly pins: TrustStore;
  private readonly served = new Map<bigint, UserKeys>();
  private readonly idsByName = new Map<string, bigint>();
  private readonly groups = new Map<string, MemberList>();
  private readonly verified = new Map<string, { list: MemberList; roster: Roster }>();
  private readonly own = new Map<string, OwnChain>();
  private readonly received = new Map<string, ReceivingChain>();
  private readonly pushedChains = new Map<string, Uint8Array>();
  private readonly chainLocks = new Locks();
  private readonly seen = new Bounded<boolean>(SEEN_LIMIT);
  private readonly shownAt = new Map<string, string>();
  private readonly sentHere = new Bounded<boolean>(SEEN_LIMIT);
  private readonly cursors = new Map<string, bigint>();
  readonly files = new Bounded<import("../gen/fastchat/v1/sealed_pb").FileReference>(10_000);
  private readonly events = new Serial();
  private readonly myPrivate: Promise<CryptoKey>;
  /** Receipts: seqs of others' messages opened here, how far read receipts went, and what others told this user. */
  private readonly incoming = new Map<string, Map<number, bigint>>();
  private readonly readSent = new Map<string, number>();
  private readonly heardFrom = new Map<string, Map<bigint, [number, number]>>();
  private readonly deliveredDue = new Map<string, number>();
  sendReadReceipts = true;

  constructor(
    private readonly connection: () => Connection,
    readonly myId: bigint,
    readonly myName: string,
    readonly myKeyId: number,
    readonly identity: IdentityKeyPair,
    private readonly vault: Vault,
    private readonly listener: ChatEvents,
  ) {
    this.pins = new TrustStore(connection, vault, myName, identity);
    this.myPrivate = hpke.importPrivate(identity.x25519Private);
    for (const [key, where] of vault.state.shown) {
      this.shownAt.set(key, where);
    }
  }

  private async rpc(body: Parameters<Connection["request"]>[0]): Promise<Envelope> {
    return this.connection().request(body);
  }

  private get me(): Sender {
    return { accountId: this.myId, keyId: this.myKeyId, keys: this.identity };
  }

  // ---- keys and trust

  async user(nameOrId: string | bigint): Promise<UserKeys> {
    if (typeof nameOrId === "string") {
      const id = this.idsByName.get(nameOrId);
      if (id !== undefined) {
        return this.served.get(id)!;
      }
      const bundle = expect(await this.rpc({ case: "keyLookup", value: { usernames: [nameOrId] } }), "keyBundle");
      return this.remember(bundle.users[0]);
    }
    const known = this.served.get(nameOrId);
    if (known) {
      return known;
    }
    const bundle = expect(await this.rpc({ case: "keyLookup", value: { accountIds: [nameOrId] } }), "keyBundle");
    return this.remember(bundle.users[0]);
  }

  private remember(user: UserKeys | undefined): UserKeys {
    if (!user || !user.identity) {
      throw new ChatError(ErrorCode.UNKNOWN_USER, "the server sent no keys for that user");
    }
    this.served.set(user.accountId, user);
    this.idsByName.set(user.username, user.accountId);
    return user;
  }

  /**
   * Keeps keys the server sent along with something else that spares a lookup (a chain's announcement), unless it handed
   * out this account's keys before in this session: those stay until the server says they changed.
   */
  private rememberIfNew(user: UserKeys): void {
    if (!user.identity || this.served.has(user.accountId)) {
      return;
    }
    this.served.set(user.accountId, user);
    if (!this.idsByName.has(user.username)) {
      this.idsByName.set(user.username, user.accountId);
    }
  }

  private static publicIdentity(user: UserKeys): PublicIdentity {
    return { x25519: user.identity!.x25519Public, ed25519: user.identity!.ed25519Public };
  }

  private static sameIdentity(a: PublicIdentity, b: PublicIdentity): boolean {
    return equal(a.x25519, b.x25519) && equal(a.ed25519, b.ed25519);
  }

  /** Compares the served keys with the pin, pinning on first use; a pin binds name, account id and keys. */
  trust(user: UserKeys): KeyTrust {
    if (user.accountId === this.myId) {
      return Messenger.sameIdentity(this.identity.publicIdentity, Messenger.publicIdentity(user)) ? "PINNED" : "KEY_CHANGED";
    }
    const pin = this.pins.get(user.accountId);
    if (!pin && !this.pins.named(user.username)) {
      this.pins.pin(user.accountId, user.username, user.identity!.keyId, Messenger.publicIdentity(user), false);
      return "FIRST_USE";
    }
    const bound = !!pin && pin.name === user.username && Messenger.sameIdentity(pin.identity, Messenger.publicIdentity(user));
    return !bound ? "KEY_CHANGED" : pin!.verified ? "VERIFIED" : "PINNED";
  }

  private requireTrusted(user: UserKeys): void {
    if (this.trust(user) === "KEY_CHANGED") {
      const pin = this.pins.get(user.accountId);
      const what = !pin ? `the name ${user.username} now belongs to another account than the one pinned`
        : pin.name !== user.username ? `the account pinned as ${pin.name} is now served as ${user.username}`
          : `${user.username}'s identity key changed since it was pinned`;
      throw new ChatError(ErrorCode.UNTRUSTED_KEY, `${what}: compare safety numbers, then accept or verify the new key`);
    }
  }

  private wasVerified(user: UserKeys): boolean {
    return (this.pins.get(user.accountId)?.verified ?? false) || (this.pins.named(user.username)?.verified ?? false);
  }

  private async fresh(name: string): Promise<UserKeys> {
    const id = this.idsByName.get(name);
    if (id !== undefined) {
      this.idsByName.delete(name);
      this.served.delete(id);
    }
    return this.user(name);
  }

  /** The safety number of this user and {@code name}, and whether the server's key for them is the pinned one. */
  async verification(name: string): Promise<{ safetyNumber: string; trust: KeyTrust }> {
    const user = await this.fresh(canonical(name));
    const trust = this.trust(user);
    return { safetyNumber: await safetyNumber(this.myName, this.identity.publicIdentity, user.username, Messenger.publicIdentity(user)), trust };
  }

  /** The user compared the safety number out of band and it matched: the current key is pinned as verified. */
  async markVerified(name: string): Promise<void> {
    const user = await this.fresh(canonical(name));
    if (user.accountId === this.myId) {
      throw new ChatError(ErrorCode.BAD_REQUEST, "you cannot verify yourself");
    }
    this.pins.pin(user.accountId, user.username, user.identity!.keyId, Messenger.publicIdentity(user), true);
    this.groups.clear();
  }

  /** Pins the key the server hands out now, replacing a changed one; a verified contact's new key must be verified. */
  async accept(name: string): Promise<void> {
    const user = await this.fresh(canonical(name));
    const trust = this.trust(user);
    if (trust === "KEY_CHANGED" && this.wasVerified(user)) {
      throw new ChatError(ErrorCode.UNTRUSTED_KEY, `${user.username} was verified, and the key changed: compare the new safety number and mark it verified`);
    }
    this.pins.pin(user.accountId, user.username, user.identity!.keyId, Messenger.publicIdentity(user), trust === "VERIFIED");
    this.groups.clear();
  }

  /** Whether the pinned key of {@code name} is the served one, without pinning anything. */
  async trustOf(name: string): Promise<KeyTrust> {
    return this.trust(await this.user(canonical(name)));
  }

  forgetServedKeys(): void {
    this.served.clear();
    this.idsByName.clear();
    this.groups.clear();
  }

  // ---- addressing

  async address(target: Target): Promise<Addressed> {
    const name = canonical(target.name);
    if (!target.group) {
      const peer = await this.user(name);
      this.requireTrusted(peer);
      if (peer.accountId === this.myId) {
        throw new ChatError(ErrorCode.BAD_REQUEST, "you cannot send a direct message to yourself");
      }
      return {
        conversationId: directConversation(this.myId, peer.accountId),
        recipients: [{ accountId: this.myId, keyId: this.myKeyId, x25519Public: this.identity.publicIdentity.x25519 }, Messenger.recipient(peer)],
      };
    }
    const members = await this.members(name);
    const roster = await this.roster(name, members);
    this.requireListedAsProven(members, roster);
    const recipients: Recipient[] = [];
    for (const member of members.members) {
      if (member.user!.accountId !== this.myId) {
        this.requireTrusted(member.user!);
      }
      recipients.push(Messenger.recipient(member.user!));
    }
    return { conversationId: members.group!.conversationId, recipients };
  }

  private static recipient(user: UserKeys): Recipient {
    return { accountId: user.accountId, keyId: user.identity!.keyId, x25519Public: user.identity!.x25519Public };
  }

  /** The conversation id of a target (a former member of a group finds it among its conversations). */
  async conversationId(target: Target): Promise<string> {
    if (!target.group) {
      return directConversation(this.myId, (await this.user(canonical(target.name))).accountId);
    }
    try {
      return (await this.members(canonical(target.name))).group!.conversationId;
    } catch (e) {
      if (!(e instanceof ChatError) || e.code !== ErrorCode.NOT_A_MEMBER) {
        throw e;
      }
      const found = (await this.unread()).conversations.find((c) => c.target.group && c.target.name === target.name);
      if (!found) {
        throw e;
      }
      return found.conversationId;
    }
  }

  private requireListedAsProven(members: MemberList, roster: Roster): void {
    const listed = new Set(members.members.map((m) => m.user!.accountId));
    const proven = new Set(roster.members.keys());
    if (listed.size === proven.size && [...listed].every((id) => proven.has(id))) {
      return;
    }
    const unproven = members.members.filter((m) => !proven.has(m.user!.accountId)).map((m) => m.user!.username);
    const dropped = [...proven].filter((id) => !listed.has(id)).map(String);
    let why = `the server's members of #${members.group!.name} are not those its signed membership proves:`;
    if (unproven.length) {
      why += ` it lists ${unproven.join(", ")} without a signed statement adding them;`;
    }
    if (dropped.length) {
      why += ` it leaves out accounts ${dropped.join(", ")} without a signed statement removing them;`;
    }
    throw new ChatError(ErrorCode.UNTRUSTED_SERVER, `${why} not sending`);
  }

  async members(group: string): Promise<MemberList> {
    const cached = this.groups.get(group);
    if (cached) {
      return cached;
    }
    const fetched = expect(await this.rpc({ case: "listMembers", value: { group } }), "memberList");
    for (const member of fetched.members) {
      this.remember(member.user);
    }
    this.groups.set(group, fetched);
    return fetched;
  }

  /** The roster the group's chain proves, checked against how far this browser saw it before. */
  async roster(group: string, list?: MemberList): Promise<Roster> {
    const members = list ?? (await this.members(group));
    const known = this.verified.get(group);
    if (known && known.list === members) {
      return known.roster;
    }
    let roster: Roster;
    try {
      roster = await verifyChain(members.chain, this.signers(members));
    } catch (e) {
      this.forgetGroup(group);
      if (e instanceof InvalidChainError) {
        throw new ChatError(ErrorCode.UNTRUSTED_SERVER, `the membership of #${group} that the server serves does not hold (${e.message}): nothing is sealed to it`);
      }
      throw e;
    }
    const seen = this.vault.state.chainsSeen[group];
    if (seen) {
      const [chainId, length, head] = seen;
      if (chainId !== hex(roster.chainId) || members.chain.length < length || hex(await hashStatement(members.chain[length - 1])) !== head) {
        this.forgetGroup(group);
        throw new ChatError(ErrorCode.UNTRUSTED_SERVER, `the server serves another membership of #${group} than this browser saw before`
          + ` (${length} statements, now ${members.chain.length}): nothing is sealed to it`);
      }
    }
    if (!seen || roster.length > seen[1]) {
      this.vault.state.chainsSeen[group] = [hex(roster.chainId), roster.length, hex(roster.head)];
      this.vault.changed();
    }
    this.verified.set(group, { list: members, roster });
    return roster;
  }

  private signers(list: MemberList) {
    const earlier = new Map<string, Uint8Array>();
    for (const keys of list.earlierKeys) {
      earlier.set(`${keys.accountId}/${keys.identity!.keyId}`, keys.identity!.ed25519Public);
    }
    return async (accountId: bigint, keyId: number): Promise<Uint8Array | undefined> => {
      const old = earlier.get(`${accountId}/${keyId}`);
      if (old) {
        return old;
      }
      if (accountId === this.myId) {
        return keyId === this.myKeyId ? this.identity.publicIdentity.ed25519 : undefined;
      }
      const signer = await this.user(accountId);
      if (signer.identity!.keyId !== keyId) {
        return undefined;
      }
      this.requireTrusted(signer);
      return signer.identity!.ed25519Public;
    };
  }

  forgetGroup(group: string): void {
    this.groups.delete(group);
    this.verified.delete(group);
  }

  // ---- sending

  private static checkedText(text: string): string {
    if (!text.trim()) {
      throw new ChatError(ErrorCode.BAD_REQUEST, "the message is empty");
    }
    const bytes = utf8(text).length;
    if (bytes > MAX_TEXT_BYTES) {
      throw new ChatError(ErrorCode.TOO_LARGE, `the message is over the limit of ${MAX_TEXT_BYTES} bytes (${bytes})`);
    }
    return text;
  }

  sendText(target: Target, text: string, replyTo = 0): Promise<{ conversationId: string; seq: number }> {
    return this.send(target, create(ContentSchema, { kind: { case: "text", value: Messenger.checkedText(text) }, replyTo: BigInt(replyTo) }));
  }

  edit(target: Target, seq: number, text: string) {
    return this.send(target, create(ContentSchema, { kind: { case: "edit", value: { seq: BigInt(seq), text: Messenger.checkedText(text) } } }));
  }

  react(target: Target, seq: number, emoji: string, removed: boolean) {
    if (!emoji.trim() || utf8(emoji).length > MAX_REACTION_BYTES || isControl(emoji)) {
      throw new ChatError(ErrorCode.BAD_REQUEST, `a reaction is one emoji or a short text (1 to ${MAX_REACTION_BYTES} bytes)`);
    }
    return this.send(target, create(ContentSchema, { kind: { case: "reaction", value: { seq: BigInt(seq), emoji, removed } } }));
  }

  /** Deletes this user's message {@code seq} and the edits of it given, for everyone. */
  async deleteMessages(target: Target, seqs: number[]): Promise<void> {
    const conversationId = await this.conversationId(target);
    await this.rpc({ case: "deleteMessages", value: { conversationId, seqs: seqs.map(BigInt) } });
  }

  /**
   * Seals {@code content} for the target's members and sends it; tries again while a group's members change. The first
   * message of a new chain goes right behind the chain's announcement, without waiting for its answer: the server takes
   * a connection's announcements and sends in order.
   */
  async send(target: Target, content: Content, fileIds: string[] = []): Promise<{ conversationId: string; seq: number }> {
    const clientMsgId = timeOrderedId(); // time-ordered: the server's idempotency index grows at its end
    const started = Date.now();
    for (;;) {
      const addressed = await this.address(target);
      let announced: Promise<Envelope> | undefined;
      try {
        const inChain = await this.sealInChain(addressed, clientMsgId, content, false);
        announced = inChain.announced;
        const sealed = inChain.sealed;
        this.sentHere.set(clientMsgId, true);
        const ack = expect(await this.rpc({ case: "send", value: { conversationId: addressed.conversationId, clientMsgId, sealed, fileIds } }), "sendAck");
        const key = `${ack.conversationId}#${ack.seq}`;
        this.seen.set(key, true);
        this.shown(this.myId, clientMsgId, key);
        const cursor = this.cursors.get(ack.conversationId);
        if (cursor === undefined ? ack.seq === 1n : ack.seq === cursor + 1n) {
          this.cursors.set(ack.conversationId, ack.seq);
        }
        return { conversationId: ack.conversationId, seq: Number(ack.seq) };
      } catch (e) {
        // An announcement refused (not lost with the connection) is the reason the message behind it was refused too.
        const refused = announced ? await announced.then(() => undefined, (failure: unknown) => failure) : undefined;
        const failure = refused !== undefined && !(refused instanceof ChatError && refused.code === ErrorCode.UNAVAILABLE) ? refused : e;
        if (!membersChangedMeanwhile(failure, started)) {
          throw failure;
        }
        if (target.group) {
          this.forgetGroup(canonical(target.name));
        }
        this.own.delete(addressed.conversationId);
      }
    }
  }

  private static async addressedTo(recipients: Recipient[]): Promise<Uint8Array> {
    const sorted = [...recipients].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
    return sha256(...sorted.flatMap((r) => [u64(r.accountId), u32(r.keyId), r.x25519Public]));
  }

  /**
   * Seals in this session's chain of the conversation, starting (and announcing) a new one when due. With
   * {@code awaitAnnouncement} false, a new chain's announcement is sent and its answer returned unawaited, for the
   * message to go right behind it; the chain is dropped if it is refused.
   */
  private sealInChain(addressed: Addressed, clientMsgId: string, content: Content,
    awaitAnnouncement = true): Promise<{ sealed: Uint8Array; announced?: Promise<Envelope> }> {
    return this.chainLocks.run(addressed.conversationId, async () => {
      const now = Date.now();
      const to = await Messenger.addressedTo(addressed.recipients);
      let announced: Promise<Envelope> | undefined;
      let own = this.own.get(addressed.conversationId);
      if (!own || !equal(own.addressedTo, to) || own.sealed >= ROTATE_AFTER || own.chain.exhausted() || now - own.startedAt >= MAX_AGE_MS) {
        own = { chain: SendingChain.create(), addressedTo: to, startedAt: now, sealed: 0 };
        this.own.set(addressed.conversationId, own);
        this.received.set(this.chainKey(addressed.conversationId, this.myId, own.chain.chainId),
          new ReceivingChain(addressed.conversationId, this.myId, own.chain.announcement()));
        const started = own;
        const forget = () => {
          if (this.own.get(addressed.conversationId) === started) {
            this.own.delete(addressed.conversationId);
          }
        };
        let announcing: Promise<Envelope>;
        try {
          // (the request is sent when rpc is called, before the message is sealed: the server takes them in that order)
          announcing = this.rpc(await this.announcement(own, addressed, now));
        } catch (e) {
          forget();
          throw e;
        }
        announcing.catch(forget);
        if (awaitAnnouncement) {
          await announcing;
        } else {
          announced = announcing;
        }
      }
      own.sealed++;
      return { sealed: await own.chain.seal(this.me, addressed.conversationId, clientMsgId, BigInt(now), content), announced };
    });
  }

  /** The request announcing {@code own}: its key sealed to each member apart. */
  private async announcement(own: OwnChain, addressed: Addressed, now: number): Promise<Parameters<Connection["request"]>[0]> {
    const chainId = own.chain.chainId;
    const key = create(ContentSchema, { kind: { case: "senderKey", value: own.chain.announcement() } });
    const clientMsgId = "chain-" + hex(chainId);
    const keys = [];
    for (const recipient of addressed.recipients) {
      keys.push({ accountId: recipient.accountId, sealed: await seal(this.me, addressed.conversationId, clientMsgId, BigInt(now), key, [recipient]) });
    }
    return { case: "announceChain", value: { conversationId: addressed.conversationId, chainId, keys } };
  }

  /** Tells the members online now that this user is typing, or stopped (relayed, never stored). */
  async typing(target: Target, typing: boolean): Promise<void> {
    const addressed = await this.address(target);
    const { sealed } = await this.sealInChain(addressed, "notice-" + timeOrderedId(),
      create(ContentSchema, { kind: { case: "typing", value: { stopped: !typing } } }));
    await this.rpc({ case: "notify", value: { conversationId: addressed.conversationId, sealed } });
  }

  // ---- receiving

  private chainKey(conversationId: string, senderId: bigint, chainId: Uint8Array): string {
    return `${conversationId}/${senderId}/${hex(chainId)}`;
  }

  private shown(senderId: bigint, clientMsgId: string, key: string): string | undefined {
    const id = `${senderId}/${clientMsgId}`;
    const earlier = this.shownAt.get(id);
    if (earlier === undefined) {
      this.shownAt.set(id, key);
      this.vault.state.shown.push([id, key]);
      this.vault.changed();
    }
    return earlier;
  }

  /** Checks and opens one message; undefined when it was reported before (onlyNew) or is this browser's own echo. */
  async open(message: Message, onlyNew: boolean): Promise<ChatMessage | undefined> {
    const key = `${message.conversationId}#${message.seq}`;
    // Claimed before it is opened (opening awaits): a push and a background fetch of the same message report it once.
    if (onlyNew && this.seen.has(key)) {
      return undefined;
    }
    if (onlyNew) {
      this.seen.set(key, false);
    }
    try {
      return await this.verifyAndOpen(message, key, onlyNew);
    } catch (e) {
      if (e instanceof OpenError) {
        this.seen.set(key, true);
        this.advance(message.conversationId, message.seq);
      } else if (onlyNew && this.seen.get(key) === false) {
        this.seen.delete(key); // not about the message (a failed key lookup, say): it may open later
      }
      throw e;
    }
  }

  private advance(conversationId: string, seq: bigint): void {
    const cursor = this.cursors.get(conversationId);
    if (cursor === undefined || seq > cursor) {
      this.cursors.set(conversationId, seq);
    }
  }

  private async conversationOf(message: Message, sender: UserKeys): Promise<Target> {
    if (message.groupName) {
      return { name: message.groupName, group: true };
    }
    if (message.senderId !== this.myId) {
      return { name: sender.username, group: false };
    }
    const [, low, high] = message.conversationId.split(":");
    const peer = BigInt(low) === this.myId ? BigInt(high) : BigInt(low);
    return { name: (await this.user(peer)).username, group: false };
  }

  private async verifyAndOpen(message: Message, key: string, onlyNew: boolean): Promise<ChatMessage | undefined> {
    const sender = await this.user(message.senderId);
    let trust = this.trust(sender);
    const base = {
      conversationId: message.conversationId,
      conversation: await this.conversationOf(message, sender),
      seq: Number(message.seq),
      senderId: message.senderId,
      sender: sender.username,
      mine: message.senderId === this.myId,
      serverTimeMs: Number(message.serverTimeMs),
    };
    if (message.deleted) {
      this.seen.set(key, true);
      this.advance(message.conversationId, message.seq);
      return { ...base, text: "", sentAtMs: base.serverTimeMs, trust, replyTo: 0, edits: 0, deleted: true };
    }
    const pinned = this.pins.get(sender.accountId);
    const signingKey = trust === "KEY_CHANGED" && pinned ? pinned.identity.ed25519 : sender.identity!.ed25519Public;
    let opened;
    try {
      opened = await this.openSealed(message, signingKey);
      if (trust === "KEY_CHANGED" && pinned && pinned.name === sender.username) {
        trust = pinned.verified ? "VERIFIED" : "PINNED";
      }
    } catch (e) {
      if (trust !== "KEY_CHANGED" || !(e instanceof OpenError) || e.reason !== "BAD_SIGNATURE") {
        throw e;
      }
      opened = await this.openSealed(message, sender.identity!.ed25519Public);
    }
    const content = opened.content;
    const earlier = this.shown(message.senderId, opened.header.clientMsgId, key);
    if (earlier !== undefined && earlier !== key) {
      throw new OpenError("MALFORMED", `a replay of the message shown at ${earlier} (dropped)`);
    }
    this.seen.set(key, true);
    this.advance(message.conversationId, message.seq);
    let text = "";
    let file;
    switch (content.kind.case) {
      case "file": {
        const ref = content.kind.value;
        if (ref.key.length !== 32 || ref.sha256.length !== 32 || !/^[0-9a-f]{32}$/.test(ref.fileId)) {
          throw new OpenError("MALFORMED", "the file reference is incomplete");
        }
        this.files.set(ref.fileId, ref);
        file = { fileId: ref.fileId, name: ref.name, size: Number(ref.size), mediaType: ref.mediaType, width: ref.width, height: ref.height };
        break;
      }
      case "text":
        text = content.kind.value;
        break;
      case "edit":
        if (content.kind.value.seq <= 0n) {
          throw new OpenError("MALFORMED", "an edit of no message");
        }
        text = content.kind.value.text;
        break;
      case "reaction": {
        const emoji = content.kind.value.emoji;
        if (content.kind.value.seq <= 0n || !emoji || utf8(emoji).length > MAX_REACTION_BYTES || isControl(emoji)) {
          throw new OpenError("MALFORMED", "the reaction is not one emoji or a short text");
        }
        break;
      }
      default:
        throw new OpenError("MALFORMED", "this kind of content needs a newer client");
    }
    if (utf8(text).length > MAX_TEXT_BYTES) {
      throw new OpenError("TOO_LARGE", `the text is over the limit of ${MAX_TEXT_BYTES} bytes`);
    }
    if (message.senderId !== this.myId) {
      this.openedFrom(message.conversationId, Number(message.seq), message.senderId);
      if (onlyNew) {
        this.delivered(message.conversationId, message.senderId, Number(message.seq));
      }
    }
    if (onlyNew && message.senderId === this.myId && this.sentHere.has(opened.header.clientMsgId)) {
      return undefined;
    }
    const reaction = content.kind.case === "reaction"
      ? { seq: Number(content.kind.value.seq), emoji: content.kind.value.emoji, removed: content.kind.value.removed } : undefined;
    return {
      ...base, text, sentAtMs: Number(opened.header.sentAtMs), trust, file, replyTo: Number(content.replyTo),
      edits: content.kind.case === "edit" ? Number(content.kind.value.seq) : 0, reaction, deleted: false,
    };
  }

  private async openSealed(message: Message, signingKey: Uint8Array) {
    const { header } = parseSealed(message.sealed);
    if (header.version !== CHAIN_VERSION) {
      return openSealed(message.sealed, message.conversationId, message.senderId, signingKey, this.myId, await this.myPrivate);
    }
    const chain = await this.receivingChain(message.conversationId, message.senderId, header.chainId, signingKey);
    return chain.open(message.sealed, message.conversationId, message.senderId, signingKey);
  }

  private async receivingChain(conversationId: string, senderId: bigint, chainId: Uint8Array, signingKey: Uint8Array): Promise<ReceivingChain> {
    const key = this.chainKey(conversationId, senderId, chainId);
    const known = this.received.get(key);
    if (known) {
      return known;
    }
    let sealed = this.pushedChains.get(key);
    if (!sealed) {
      sealed = expect(await this.rpc({ case: "getChain", value: { conversationId, senderId, chainId } }), "chainAnnouncement").sealed;
    }
    if (sealed.length === 0) {
      throw new OpenError("UNKNOWN_CHAIN", "the server holds no key of the sender chain this message is sealed in for this user");
    }
    const opened = await openSealed(sealed, conversationId, senderId, signingKey, this.myId, await this.myPrivate);
    if (opened.content.kind.case !== "senderKey" || !equal(opened.content.kind.value.chainId, chainId)) {
      throw new OpenError("UNKNOWN_CHAIN", "the server served the announcement of another chain");
    }
    const chain = new ReceivingChain(conversationId, senderId, opened.content.kind.value);
    this.received.set(key, chain);
    this.pushedChains.delete(key);
    return chain;
  }

  /** Opens a batch in order; what does not open is reported as rejected. */
  async openAll(messages: Message[], onlyNew: boolean): Promise<ChatMessage[]> {
    const opened: ChatMessage[] = [];
    for (const message of messages) {
      try {
        const m = await this.open(message, onlyNew);
        if (m) {
          opened.push(m);
        }
      } catch (e) {
        this.listener.rejected(message.conversationId, Number(message.seq), (e as Error).message);
      }
    }
    return opened;
  }

  /** Fetches what this browser has not seen (after its cursors; on a new log-in, the unread). */
  async sync(): Promise<ChatMessage[]> {
    const all: ChatMessage[] = [];
    for (;;) {
      const cursors = [...this.cursors].map(([conversationId, seq]) => ({ conversationId, seq }));
      const batch = expect(await this.rpc({ case: "sync", value: { cursors } }), "syncBatch");
      all.push(...(await this.openAll(batch.messages, true)));
      if (!batch.more || batch.messages.length === 0) {
        return all;
      }
    }
  }

  /**
   * Fetches what this browser has not seen in one conversation: after its cursor, or after the read cursor when
   * {@code fromReadCursor}.
   */
  async syncConversation(conversationId: string, fromReadCursor: boolean): Promise<ChatMessage[]> {
    const all: ChatMessage[] = [];
    let cursor = fromReadCursor ? undefined : this.cursors.get(conversationId);
    for (;;) {
      const cursors = cursor === undefined ? [] : [{ conversationId, seq: cursor }];
      const batch = expect(await this.rpc({ case: "sync", value: { cursors, onlyConversationIds: [conversationId] } }), "syncBatch");
      all.push(...(await this.openAll(batch.messages, true)));
      if (!batch.more || batch.messages.length === 0) {
        return all;
      }
      cursor = batch.messages[batch.messages.length - 1].seq;
    }
  }

  /** A page of history before {@code beforeSeq} (0: the newest), oldest first, and whether there is more. */
  async history(target: Target, beforeSeq: number, limit: number): Promise<{ messages: ChatMessage[]; more: boolean }> {
    const conversationId = await this.conversationId(target);
    const page = expect(await this.rpc({ case: "history", value: { conversationId, beforeSeq: BigInt(beforeSeq), limit } }), "historyPage");
    const messages = await this.openAll([...page.messages].sort((a, b) => (a.seq < b.seq ? -1 : 1)), false);
    return { messages, more: page.more };
  }

  async unread(): Promise<{ conversations: ConversationSummary[]; direct: number; group: number }> {
    const summary = expect(await this.rpc({ case: "getUnread", value: {} }), "unreadSummary");
    return {
      conversations: summary.conversations.map((c) => ({
        conversationId: c.conversationId,
        target: { name: c.name, group: c.kind === ConversationKind.GROUP },
        lastSeq: Number(c.lastSeq),
        readSeq: Number(c.readSeq),
        unread: Number(c.unread),
      })),
      direct: Number(summary.directUnread),
      group: Number(summary.groupUnread),
    };
  }

  /** Marks read for all of this user's devices, and tells the senders (read receipts, if on). */
  async markRead(conversationId: string, seq: number): Promise<void> {
    await this.rpc({ case: "markRead", value: { conversationId, seq: BigInt(seq) } });
    const from = this.readSent.get(conversationId) ?? 0;
    if (seq <= from) {
      return;
    }
    this.readSent.set(conversationId, seq);
    const due = new Map<bigint, number>();
    for (const [at, sender] of this.incoming.get(conversationId) ?? []) {
      if (at > from && at <= seq) {
        due.set(sender, Math.max(due.get(sender) ?? 0, at));
      }
    }
    if (this.sendReadReceipts) {
      for (const [sender, upTo] of due) {
        void this.sendReceipt(conversationId, sender, ReceiptKind.READ, upTo);
      }
    }
  }

  // ---- receipts

  private openedFrom(conversationId: string, seq: number, senderId: bigint): void {
    let seqs = this.incoming.get(conversationId);
    if (!seqs) {
      seqs = new Map();
      this.incoming.set(conversationId, seqs);
    }
    seqs.set(seq, senderId);
    if (seqs.size > 2000) {
      seqs.delete(Math.min(...seqs.keys()));
    }
  }

  private delivered(conversationId: string, senderId: bigint, seq: number): void {
    const key = `${conversationId}|${senderId}`;
    const due = this.deliveredDue.get(key);
    this.deliveredDue.set(key, due === undefined ? seq : Math.max(due, seq));
    if (due === undefined) {
      setTimeout(() => {
        const upTo = this.deliveredDue.get(key);
        this.deliveredDue.delete(key);
        if (upTo !== undefined) {
          void this.sendReceipt(conversationId, senderId, ReceiptKind.DELIVERED, upTo);
        }
      }, DELIVERED_DELAY_MS);
    }
  }

  private async sendReceipt(conversationId: string, to: bigint, kind: ReceiptKind, upTo: number): Promise<void> {
    try {
      const recipient = Messenger.recipient(await this.user(to));
      const content = create(ContentSchema, { kind: { case: "receipt", value: { kind, upToSeq: BigInt(upTo) } } });
      const sealed = await seal(this.me, conversationId, "receipt-" + timeOrderedId(), BigInt(Date.now()), content, [recipient]);
      await this.rpc({ case: "sendReceipt", value: { conversationId, to, kind, upToSeq: BigInt(upTo), sealed } });
    } catch (e) {
      console.debug(`receipt up to ${upTo} in ${conversationId} not sent: ${(e as Error).message}`);
    }
  }

  /** Checks a receipt (sealed to this user by the member it names, saying what the server says) and records it. */
  private async heard(notice: { conversationId: string; from: bigint; kind: ReceiptKind; upToSeq: bigint; sealed: Uint8Array }): Promise<boolean> {
    const from = await this.user(notice.from);
    const opened = await openSealed(notice.sealed, notice.conversationId, notice.from, from.identity!.ed25519Public, this.myId, await this.myPrivate);
    if (opened.content.kind.case !== "receipt" || opened.content.kind.value.kind !== notice.kind || opened.content.kind.value.upToSeq !== notice.upToSeq) {
      throw new OpenError("MALFORMED", "the receipt says otherwise than the server");
    }
    let members = this.heardFrom.get(notice.conversationId);
    if (!members) {
      members = new Map();
      this.heardFrom.set(notice.conversationId, members);
    }
    const pointers = members.get(notice.from) ?? [0, 0];
    members.set(notice.from, pointers);
    const at = notice.kind === ReceiptKind.READ ? 1 : 0;
    const upTo = Number(notice.upToSeq);
    if (upTo <= pointers[at]) {
      return false;
    }
    pointers[at] = upTo;
    if (at === 1 && pointers[0] < upTo) {
      pointers[0] = upTo;
    }
    return true;
  }

  /** Fetches the receipts kept for this user's messages in a conversation. */
  async fetchReceipts(conversationId: string): Promise<void> {
    const list = expect(await this.rpc({ case: "getReceipts", value: { conversationId } }), "receiptList");
    for (const notice of list.receipts) {
      try {
        await this.heard(notice);
      } catch {
        // dropped: not from whom it says, or not what it says
      }
    }
  }

  /** Who got, and who read, this user's message {@code seq} (as far as heard). */
  status(conversationId: string, seq: number): { delivered: bigint[]; read: bigint[] } {
    const delivered: bigint[] = [];
    const read: bigint[] = [];
    for (const [member, [got, seen]] of this.heardFrom.get(conversationId) ?? []) {
      if (got >= seq) {
        delivered.push(member);
      }
      if (seen >= seq) {
        read.push(member);
      }
    }
    return { delivered, read };
  }

  // ---- pushes

  /** A server push: handled in order, one at a time. */
  onPush(push: Envelope, fillGaps: () => Promise<void>): void {
    const body = push.body;
    switch (body.case) {
      case "deliver":
        void this.events.run(async () => {
          const message = body.value.message!;
          const cursor = this.cursors.get(message.conversationId);
          if (cursor === undefined && message.seq > 1n) {
            // New to this session (after a log-in, every conversation is): shown now, and what is unread before it
            // after it, fetched in the background for this conversation alone.
            await this.report(message);
            void this.syncConversation(message.conversationId, true)
              .then((backlog) => this.events.run(async () => backlog.forEach((m) => this.listener.message(m))))
              .catch(() => {});
            return;
          }
          if (cursor !== undefined && message.seq > cursor + 1n) {
            // An earlier message is missing: this conversation's gap is fetched first, so that it shows in order.
            try {
              for (const missed of await this.syncConversation(message.conversationId, false)) {
                this.listener.message(missed);
              }
            } catch {
              // Not shown before what comes before it: a later fetch (the reconnect's, or this retry) brings it in order.
              this.fillGapLater(fillGaps, 1);
              return;
            }
          }
          await this.report(message);
        });
        break;
      case "chainAnnouncement": {
        const announced = body.value;
        // The sender's keys, as a lookup would answer (and checked against the pins as its answer is, when the message
        // is opened): the chain's first message then opens without one. Keys the server handed out before stay.
        if (announced.sender?.accountId === announced.senderId) {
          this.rememberIfNew(announced.sender);
        }
        this.pushedChains.set(this.chainKey(announced.conversationId, announced.senderId, announced.chainId), announced.sealed);
        break;
      }
      case "presenceChanged": {
        const p = body.value.presence!;
        void this.events.run(async () => this.listener.presence({ accountId: p.accountId, username: p.username, online: p.online }));
        break;
      }
      case "membershipChanged": {
        const changed = body.value;
        this.forgetGroup(changed.group!.name);
        void this.events.run(async () => this.listener.membership(changed.group!.name, MembershipChangeNames[changed.change] ?? "changed",
          changed.username, changed.by));
        break;
      }
      case "keysChanged": {
        const changed = this.remember(body.value.user);
        this.groups.clear();
        if (changed.accountId !== this.myId) {
          void this.events.run(async () => {
            if (this.trust(changed) === "KEY_CHANGED") {
              this.listener.keyChanged(changed.username);
            }
          });
        }
        break;
      }
      case "syncHint":
        void this.events.run(() => fillGaps().catch(() => {}));
        break;
      case "notice": {
        const notice = body.value;
        void this.events.run(() => this.openNotice(notice));
        break;
      }
      case "receiptNotice": {
        const notice = body.value;
        void this.events.run(async () => {
          try {
            if (await this.heard(notice)) {
              this.listener.receipt(notice.conversationId, (await this.user(notice.from)).username, notice.kind === ReceiptKind.READ, Number(notice.upToSeq));
            }
          } catch {
            // dropped
          }
        });
        break;
      }
      case "messagesDeleted": {
        const deleted = body.value;
        void this.events.run(async () => this.listener.deleted(deleted.conversationId, deleted.senderId, deleted.seqs.map(Number)));
        break;
      }
      case "readMarked": {
        const read = body.value;
        void this.events.run(async () => this.listener.readElsewhere(read.conversationId, Number(read.seq)));
        break;
      }
      default:
        break; // pushes of newer servers
    }
  }

  /** Opens a pushed message and reports it, or its refusal. */
  private async report(message: Message): Promise<void> {
    try {
      const opened = await this.open(message, true);
      if (opened) {
        this.listener.message(opened);
      }
    } catch (e) {
      this.listener.rejected(message.conversationId, Number(message.seq), (e as Error).message);
    }
  }

  /** Tries {@code fillGaps} again after a while (1, 2, 4 ... 30 s; 8 times), in order with the pushes. */
  private fillGapLater(fillGaps: () => Promise<void>, attempt: number): void {
    setTimeout(() => {
      void this.events.run(async () => {
        try {
          await fillGaps();
        } catch {
          if (attempt < 8) {
            this.fillGapLater(fillGaps, attempt + 1);
          }
        }
      });
    }, Math.min(30_000, 1000 * 2 ** (attempt - 1)));
  }

  /** Runs {@code task} after the pushes being handled (so that what it reports comes in order with them). */
  inOrder<T>(task: () => Promise<T>): Promise<T> {
    return this.events.run(task);
  }

  private async openNotice(notice: { conversationId: string; senderId: bigint; sealed: Uint8Array }): Promise<void> {
    if (notice.senderId === this.myId) {
      return;
    }
    try {
      const sender = await this.user(notice.senderId);
      if (this.trust(sender) === "KEY_CHANGED") {
        return;
      }
      const message = { conversationId: notice.conversationId, senderId: notice.senderId, sealed: notice.sealed } as Message;
      const opened = await this.openSealed(message, sender.identity!.ed25519Public);
      if (opened.content.kind.case !== "typing" || Math.abs(Date.now() - Number(opened.header.sentAtMs)) > NOTICE_WINDOW_MS) {
        return;
      }
      this.listener.typing(notice.conversationId, sender.username, !opened.content.kind.value.stopped);
    } catch {
      // a notice that does not open is dropped: it is not a message
    }
  }

  // ---- groups

  async listGroups(): Promise<GroupSummary[]> {
    const list = expect(await this.rpc({ case: "listGroups", value: {} }), "groupList");
    return list.groups.map((g) => ({ name: g.name, conversationId: g.conversationId, member: g.myRole !== Role.ROLE_UNSPECIFIED,
      admin: g.myRole === Role.ADMIN, memberCount: g.memberCount }));
  }

  async groupMembers(group: string): Promise<GroupMember[]> {
    this.forgetGroup(group);
    const list = await this.members(group);
    const roster = await this.roster(group, list);
    this.requireListedAsProven(list, roster);
    return list.members.map((m) => ({ accountId: m.user!.accountId, username: m.user!.username, admin: roster.members.get(m.user!.accountId) === true,
      online: m.online }));
  }

  async createGroup(name: string): Promise<void> {
    const group = canonical(name);
    const statement = await signStatement(create(MembershipStatementSchema, {
      chainId: random(CHAIN_ID_BYTES), index: 0n, action: MembershipAction.CREATE, actorId: this.myId, subjectId: this.myId,
      groupName: group, atMs: BigInt(Date.now()), signerKeyId: this.myKeyId,
    }), this.identity);
    await this.rpc({ case: "createGroup", value: { name: group, statement } });
  }

  private async next(chainId: Uint8Array, length: bigint, head: Uint8Array, action: MembershipAction, subjectId: bigint): Promise<SignedStatement> {
    return signStatement(create(MembershipStatementSchema, {
      chainId, index: length, previous: head, action, actorId: this.myId, subjectId, atMs: BigInt(Date.now()), signerKeyId: this.myKeyId,
    }), this.identity);
  }

  /** INVITE, REMOVE or PROMOTE {@code subject}, or LEAVE: signed as the next statement of the verified chain. */
  async changeMembership(groupName: string, action: MembershipAction, subject?: string): Promise<void> {
    const group = canonical(groupName);
    const started = Date.now();
    for (;;) {
      this.forgetGroup(group);
      const roster = await this.roster(group);
      const subjectId = subject === undefined ? this.myId : (await this.user(canonical(subject))).accountId;
      const admins = [...roster.members.values()].filter(Boolean).length;
      if (action === MembershipAction.LEAVE && roster.members.get(this.myId) === true && roster.members.size > 1 && admins === 1) {
        const successor = [...roster.members.keys()].find((id) => id !== this.myId)!;
        await this.changeMembership(group, MembershipAction.PROMOTE, (await this.user(successor)).username);
        continue;
      }
      const statement = await this.next(roster.chainId, BigInt(roster.length), roster.head, action, subjectId);
      try {
        switch (action) {
          case MembershipAction.INVITE:
            await this.rpc({ case: "addMember", value: { group, username: canonical(subject!), statement } });
            break;
          case MembershipAction.REMOVE:
            await this.rpc({ case: "removeMember", value: { group, username: canonical(subject!), statement } });
            break;
          case MembershipAction.PROMOTE:
            await this.rpc({ case: "promoteMember", value: { group, username: canonical(subject!), statement } });
            break;
          case MembershipAction.LEAVE:
            await this.rpc({ case: "leaveGroup", value: { group, statement } });
            break;
          default:
            throw new Error("not a change a member makes");
        }
        return;
      } catch (e) {
        if (!membersChangedMeanwhile(e, started)) {
          throw e;
        }
      } finally {
        this.forgetGroup(group);
      }
    }
  }

  async invitations(): Promise<Invitation[]> {
    const list = expect(await this.rpc({ case: "listInvitations", value: {} }), "invitationList");
    return list.invitations.map((i) => ({ group: i.group!.name, invitedBy: i.invitedBy }));
  }

  async answerInvitation(groupName: string, accept: boolean): Promise<void> {
    const group = canonical(groupName);
    const started = Date.now();
    for (;;) {
      const list = expect(await this.rpc({ case: "listInvitations", value: {} }), "invitationList");
      const info = list.invitations.map((i) => i.group!).find((g) => g.name === group);
      if (!info) {
        throw new ChatError(ErrorCode.NOT_A_MEMBER, `you have no invitation to ${group}`);
      }
      const statement = await this.next(info.chainId, info.chainLength, info.chainHead, accept ? MembershipAction.ACCEPT : MembershipAction.DECLINE, this.myId);
      try {
        await this.rpc({ case: "answerInvitation", value: { group, accept, statement } });
        return;
      } catch (e) {
        if (!membersChangedMeanwhile(e, started)) {
          throw e;
        }
      } finally {
        this.forgetGroup(group);
      }
    }
  }

  // ---- presence

  /** Whether these users are online; with none, this user's contacts. */
  async whoIsOnline(usernames: string[] = []): Promise<{ accountId: bigint; username: string; online: boolean }[]> {
    const list = expect(await this.rpc({ case: "whoIsOnline", value: { usernames } }), "presenceList");
    return list.users.map((u) => ({ accountId: u.accountId, username: u.username, online: u.online }));
  }
}

const MembershipChangeNames: Record<number, string> = { 1: "created", 2: "added", 3: "removed", 4: "left", 5: "promoted", 6: "invited", 7: "declined" };
