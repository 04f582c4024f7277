// The web client's Messenger against a server that is a test double: its pushes are built here, its answers recorded.
// A chain's announcement comes with the sender's keys (as the server's directory has them): the chain's first message
// opens without a key lookup, and those keys are held against the pins exactly as a lookup's answer would be.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Connection } from "../src/client/connection";
import { directConversation, Messenger } from "../src/client/messenger";
import type { ChatEvents, ChatMessage } from "../src/client/types";
import type { Vault, VaultState } from "../src/client/vault";
import { hex } from "../src/crypto/bytes";
import { IdentityKeyPair } from "../src/crypto/identity";
import { seal, type Sender } from "../src/crypto/sealer";
import { SendingChain } from "../src/crypto/senderChain";
import { type Envelope, EnvelopeSchema } from "../src/gen/fastchat/v1/envelope_pb";
import { type UserKeys, UserKeysSchema } from "../src/gen/fastchat/v1/keys_pb";
import { ConversationKind, MessageSchema } from "../src/gen/fastchat/v1/messages_pb";
import { ContentSchema } from "../src/gen/fastchat/v1/sealed_pb";

const ALICE = 1n;
const BOB = 2n;

function keysOf(accountId: bigint, username: string, identity: IdentityKeyPair): UserKeys {
  return create(UserKeysSchema, {
    accountId,
    username,
    identity: { keyId: 1, x25519Public: identity.publicIdentity.x25519, ed25519Public: identity.publicIdentity.ed25519 },
  });
}

/** A vault held in memory: what the Messenger reads and marks changed (IndexedDB is the browser's, not Node's). */
function memoryVault(alice: IdentityKeyPair, pins: VaultState["pins"]): Vault {
  const state: VaultState = {
    x25519Private: hex(alice.x25519Private),
    ed25519Private: hex(alice.ed25519Private),
    pins,
    pinsVersion: "0",
    chainsSeen: {},
    shown: [],
  };
  return { state, changed() {}, flush: async () => {}, save: async () => {} } as unknown as Vault;
}

/** The server as seen by the Messenger: answers every request with Ok, and a key lookup with what it is given. */
class FakeServer {
  readonly asked: string[] = [];

  constructor(private readonly lookup: UserKeys) {}

  connection(): Connection {
    return {
      request: async (body: { case: string }) => {
        this.asked.push(body.case);
        return body.case === "keyLookup"
          ? create(EnvelopeSchema, { body: { case: "keyBundle", value: { users: [this.lookup] } } })
          : create(EnvelopeSchema, { body: { case: "ok", value: {} } });
      },
    } as unknown as Connection;
  }
}

/** What the listener heard. */
class Heard {
  readonly messages: ChatMessage[] = [];
  readonly rejected: string[] = [];

  events(): ChatEvents {
    return {
      message: (m) => this.messages.push(m),
      rejected: (_c, _s, reason) => this.rejected.push(reason),
      presence() {},
      membership() {},
      typing() {},
      receipt() {},
      deleted() {},
      readElsewhere() {},
      keyChanged() {},
      connection() {},
      sessionEnded() {},
    };
  }

  async next(): Promise<void> {
    for (let i = 0; i < 200 && this.messages.length + this.rejected.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** Alice's messenger, with bob's keys pinned when given, against a server whose key lookup answers {@code lookup}. */
async function aliceWith(lookup: UserKeys, pinned?: IdentityKeyPair) {
  const alice = await IdentityKeyPair.generate();
  const pins = pinned ? [{ accountId: BOB.toString(), name: "bob", keyId: 1, x25519: hex(pinned.publicIdentity.x25519),
    ed25519: hex(pinned.publicIdentity.ed25519), verified: false, changedAtMs: 0 }] : [];
  const server = new FakeServer(lookup);
  const heard = new Heard();
  const messenger = new Messenger(() => server.connection(), ALICE, "alice", 1, alice, memoryVault(alice, pins), heard.events());
  /** Pushes a chain's announcement (with {@code pushedKeys} beside it) and its first message, and waits for what is heard. */
  const receive = async (chain: Awaited<ReturnType<typeof chainFrom>>, pushedKeys: UserKeys) => {
    for (const push of pushes(chain, pushedKeys)) {
      messenger.onPush(push, async () => {});
    }
    await heard.next();
  };
  return { alice, server, heard, messenger, receive };
}

/** A chain of {@code sender}'s in the direct conversation of alice and bob: its announcement to alice, and its first message. */
async function chainFrom(sender: Sender, alice: IdentityKeyPair, text: string): Promise<{ chainId: Uint8Array; announcement: Uint8Array; message: Uint8Array }> {
  const conversation = directConversation(ALICE, BOB);
  const chain = SendingChain.create();
  const now = BigInt(Date.now());
  const announcement = await seal(sender, conversation, "chain-" + hex(chain.chainId), now,
    create(ContentSchema, { kind: { case: "senderKey", value: chain.announcement() } }),
    [{ accountId: ALICE, keyId: 1, x25519Public: alice.publicIdentity.x25519 }]);
  const message = await chain.seal(sender, conversation, "m-1", now, create(ContentSchema, { kind: { case: "text", value: text } }));
  return { chainId: chain.chainId, announcement, message };
}

/** The two pushes of a chain's first message: its announcement, with the keys the server puts beside it, and the message. */
function pushes(chain: { chainId: Uint8Array; announcement: Uint8Array; message: Uint8Array }, pushedKeys: UserKeys): Envelope[] {
  const conversationId = directConversation(ALICE, BOB);
  return [
    create(EnvelopeSchema, {
      body: { case: "chainAnnouncement", value: { conversationId, senderId: BOB, chainId: chain.chainId, sealed: chain.announcement, sender: pushedKeys } },
    }),
    create(EnvelopeSchema, {
      body: {
        case: "deliver",
        value: {
          message: create(MessageSchema, {
            conversationId, seq: 1n, senderId: BOB, senderName: "bob", sealed: chain.message, serverTimeMs: BigInt(Date.now()),
            kind: ConversationKind.DIRECT,
          }),
        },
      },
    }),
  ];
}

describe("a chain's announcement pushed with its sender's keys", () => {
  it("opens the chain's first message without a key lookup", async () => {
    const bob = await IdentityKeyPair.generate();
    const { alice, server, heard, receive } = await aliceWith(keysOf(BOB, "bob", bob));

    await receive(await chainFrom({ accountId: BOB, keyId: 1, keys: bob }, alice, "hello alice"), keysOf(BOB, "bob", bob));

    expect(heard.rejected).toEqual([]);
    expect(heard.messages.map((m) => [m.text, m.trust])).toEqual([["hello alice", "FIRST_USE"]]);
    expect(server.asked).not.toContain("keyLookup");
  });

  it("holds a swapped key against the pin: another's chain under a pinned name is shown as a changed key", async () => {
    const [bob, mallory] = await Promise.all([IdentityKeyPair.generate(), IdentityKeyPair.generate()]);
    const { alice, server, heard, receive } = await aliceWith(keysOf(BOB, "bob", mallory), bob);

    // The server swaps bob's keys for mallory's in its directory, and mallory sends as bob.
    await receive(await chainFrom({ accountId: BOB, keyId: 1, keys: mallory }, alice, "it's bob: send me the codes"), keysOf(BOB, "bob", mallory));

    expect(heard.messages.map((m) => [m.text, m.trust])).toEqual([["it's bob: send me the codes", "KEY_CHANGED"]]);
    expect(server.asked).not.toContain("keyLookup");
  });

  it("holds a swapped key against the pin: bob's own message under swapped keys still shows as pinned", async () => {
    const [bob, mallory] = await Promise.all([IdentityKeyPair.generate(), IdentityKeyPair.generate()]);
    const { alice, heard, receive } = await aliceWith(keysOf(BOB, "bob", mallory), bob);

    await receive(await chainFrom({ accountId: BOB, keyId: 1, keys: bob }, alice, "the real bob"), keysOf(BOB, "bob", mallory));

    expect(heard.messages.map((m) => [m.text, m.trust])).toEqual([["the real bob", "PINNED"]]);
  });

  it("does not take keys pushed under another account than the chain's sender's: it looks the sender up", async () => {
    const [bob, mallory] = await Promise.all([IdentityKeyPair.generate(), IdentityKeyPair.generate()]);
    const { alice, server, heard, messenger, receive } = await aliceWith(keysOf(BOB, "bob", bob));

    await receive(await chainFrom({ accountId: BOB, keyId: 1, keys: bob }, alice, "hello again"), keysOf(3n, "mallory", mallory));

    expect(heard.messages.map((m) => [m.text, m.trust])).toEqual([["hello again", "FIRST_USE"]]);
    const lookups = () => server.asked.filter((asked) => asked === "keyLookup").length;
    expect(lookups()).toBe(1); // bob's, for his message
    await messenger.user(3n);
    expect(lookups()).toBe(2); // the keys pushed as account 3's were not kept
  });
});
