// The web client's cryptography against the Java client's: RFC 9180's vectors for HPKE, and the project's own vectors
// (crypto/src/test/resources/vectors/cross-client.json, made and checked by the Java code) for everything else. The same
// checks run in Node.js (vectors.test.ts, Vitest) and in Chromium (e2e/run.mjs bundles this file into a page).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { SignedStatementSchema } from "../src/gen/fastchat/v1/groups_pb";
import { ContentSchema, SenderKeySchema } from "../src/gen/fastchat/v1/sealed_pb";
import vectors from "../../crypto/src/test/resources/vectors/cross-client.json";
import { fromHex, hex, utf8 } from "../src/crypto/bytes";
import { decryptChunk, encryptChunk } from "../src/crypto/fileCipher";
import * as hpke from "../src/crypto/hpke";
import { IdentityKeyPair } from "../src/crypto/identity";
import { openKeyBackup, sealKeyBackup } from "../src/crypto/keyBackup";
import { InvalidChainError, verifyChain } from "../src/crypto/membership";
import { derivePasswordKeys } from "../src/crypto/password";
import { safetyNumber } from "../src/crypto/safetyNumber";
import { openSealed, seal } from "../src/crypto/sealer";
import { ReceivingChain, SendingChain } from "../src/crypto/senderChain";
import { openTrustState, sealTrustState } from "../src/crypto/trustState";

/** One named check; {@link checks} lists them all, in order. */
export const checks: { name: string; run: () => Promise<void> }[] = [];
let prefix = "";

function group(name: string, define: () => void): void {
  prefix = name + ": ";
  define();
  prefix = "";
}

function check(name: string, run: () => Promise<void>): void {
  checks.push({ name: prefix + name, run });
}

function fail(message: string): never {
  throw new Error(message);
}

/** The few matchers these checks use, the same in Vitest and in a browser page. */
function expect(actual: unknown) {
  return {
    toBe(expected: unknown) {
      if (actual !== expected) {
        fail(`expected ${String(expected)}, got ${String(actual)}`);
      }
    },
    rejects: {
      async toThrow(pattern: RegExp) {
        try {
          await actual;
        } catch (e) {
          if (!pattern.test((e as Error).message)) {
            fail(`rejected with "${(e as Error).message}", not matching ${pattern}`);
          }
          return;
        }
        fail("resolved, expected a rejection");
      },
      async toMatchObject(expected: Record<string, unknown>) {
        try {
          await actual;
        } catch (e) {
          for (const [key, value] of Object.entries(expected)) {
            if ((e as Record<string, unknown>)[key] !== value) {
              fail(`rejected with ${key} ${String((e as Record<string, unknown>)[key])}, expected ${String(value)}`);
            }
          }
          return;
        }
        fail("resolved, expected a rejection");
      },
      async toBeInstanceOf(type: abstract new (...args: never[]) => unknown) {
        try {
          await actual;
        } catch (e) {
          if (!(e instanceof type)) {
            fail(`rejected with ${String(e)}, expected a ${type.name}`);
          }
          return;
        }
        fail("resolved, expected a rejection");
      },
      async toBeTruthy() {
        try {
          await actual;
        } catch (e) {
          if (!e) {
            fail("rejected with nothing");
          }
          return;
        }
        fail("resolved, expected a rejection");
      },
    },
  };
}

const ALICE = BigInt(vectors.aliceId);
const BOB = BigInt(vectors.bobId);

async function identity(name: "alice" | "bob"): Promise<IdentityKeyPair> {
  const v = vectors.identities[name];
  return IdentityKeyPair.fromPrivateKeys(fromHex(v.x25519Private), fromHex(v.ed25519Private));
}

group("RFC 9180 A.1", () => {
  const info = fromHex("4f6465206f6e2061204772656369616e2055726e");
  const ikmE = fromHex("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234");
  const ikmR = fromHex("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037");
  const pkRm = "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d";
  const skRm = "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8";
  const enc = "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
  const pt = fromHex("4265617574792069732074727574682c20747275746820626561757479");
  const aad0 = fromHex("436f756e742d30");
  const ct0 = "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a";

  check("derives the RFC's recipient key pair", async () => {
    const pair = await hpke.deriveKeyPair(ikmR);
    expect(hex(pair.privateKey)).toBe(skRm);
    expect(hex(pair.publicKey)).toBe(pkRm);
  });

  check("seals to the RFC's encapsulation and first ciphertext", async () => {
    const sealed = await hpke.seal(fromHex(pkRm), info, aad0, pt, ikmE);
    expect(hex(sealed.enc)).toBe(enc);
    expect(hex(sealed.ciphertext)).toBe(ct0);
  });

  check("seals to a key that is a view into a larger buffer (as protobuf-es parses bytes fields)", async () => {
    const framed = new Uint8Array(40);
    framed.set(fromHex(pkRm), 5);
    const sealed = await hpke.seal(framed.subarray(5, 37), info, aad0, pt, ikmE);
    expect(hex(sealed.ciphertext)).toBe(ct0);
  });

  check("opens the RFC's first ciphertext, and nothing altered", async () => {
    const key = await hpke.importPrivate(fromHex(skRm));
    expect(hex(await hpke.open(fromHex(enc), key, info, aad0, fromHex(ct0)))).toBe(hex(pt));
    const altered = fromHex(ct0);
    altered[3] ^= 1;
    await expect(hpke.open(fromHex(enc), key, info, aad0, altered)).rejects.toThrow(/HPKE open failed/);
  });
});

group("Java vectors", () => {
  check("derives the same password keys (Argon2id, then HKDF)", async () => {
    const v = vectors.passwordKeys;
    const keys = await derivePasswordKeys(v.password, v.serverId, v.username,
      { memoryKib: v.memoryKib, iterations: v.iterations, parallelism: v.parallelism });
    expect(hex(keys.authKey)).toBe(v.authKey);
    expect(hex(keys.backupKey)).toBe(v.backupKey);
  });

  check("derives the same public keys from the private ones", async () => {
    for (const name of ["alice", "bob"] as const) {
      const keys = await identity(name);
      expect(hex(keys.publicIdentity.x25519)).toBe(vectors.identities[name].x25519Public);
      expect(hex(keys.publicIdentity.ed25519)).toBe(vectors.identities[name].ed25519Public);
    }
  });

  check("opens the Java key backup, and its own, only with the right key and name", async () => {
    const v = vectors.keyBackup;
    const opened = await openKeyBackup(fromHex(v.sealed), fromHex(v.backupKey), "alice");
    expect(hex(opened.ed25519Private)).toBe(vectors.identities.alice.ed25519Private);
    const own = await sealKeyBackup(opened, fromHex(v.backupKey), "alice");
    expect(hex((await openKeyBackup(own, fromHex(v.backupKey), "alice")).x25519Private)).toBe(vectors.identities.alice.x25519Private);
    await expect(openKeyBackup(fromHex(v.sealed), fromHex(v.backupKey), "mallory")).rejects.toThrow(/does not open/);
  });

  check("opens the Java version 2 message as bob, and refuses it delivered elsewhere or from someone else", async () => {
    const v = vectors.sealedV2;
    const alice = await identity("alice");
    const bob = await identity("bob");
    const bobKey = await hpke.importPrivate(bob.x25519Private);
    const opened = await openSealed(fromHex(v.sealed), v.conversation, ALICE, alice.publicIdentity.ed25519, BOB, bobKey);
    expect(hex(toBinary(ContentSchema, opened.content))).toBe(v.content);
    expect(opened.content.kind.case === "text" && opened.content.kind.value).toBe("hello bob, from Java ✓");
    await expect(openSealed(fromHex(v.sealed), "d:7:8", ALICE, alice.publicIdentity.ed25519, BOB, bobKey))
      .rejects.toMatchObject({ reason: "WRONG_CONVERSATION" });
    await expect(openSealed(fromHex(v.sealed), v.conversation, BOB, alice.publicIdentity.ed25519, BOB, bobKey))
      .rejects.toMatchObject({ reason: "WRONG_SENDER" });
    await expect(openSealed(fromHex(v.sealed), v.conversation, ALICE, bob.publicIdentity.ed25519, BOB, bobKey))
      .rejects.toMatchObject({ reason: "BAD_SIGNATURE" });
  });

  check("seals version 2 messages that open for each recipient", async () => {
    const alice = await identity("alice");
    const bob = await identity("bob");
    const content = create(ContentSchema, { kind: { case: "text", value: "hello alice, from the browser" }, replyTo: 3n });
    const sealed = await seal({ accountId: BOB, keyId: 1, keys: bob }, vectors.dm, "w-1", 1_800_000_000_123n, content,
      [{ accountId: BOB, keyId: 1, x25519Public: bob.publicIdentity.x25519 }, { accountId: ALICE, keyId: 1, x25519Public: alice.publicIdentity.x25519 }]);
    const opened = await openSealed(sealed, vectors.dm, BOB, bob.publicIdentity.ed25519, ALICE, await hpke.importPrivate(alice.x25519Private));
    expect(opened.content.replyTo).toBe(3n);
    expect(opened.header.clientMsgId).toBe("w-1");
  });

  check("seals chain messages byte for byte as the Java code does, and opens them in any order", async () => {
    const v = vectors.sealedV3;
    const bob = await identity("bob");
    const sending = SendingChain.restore(fromHex(v.chainId), 0, fromHex(v.chainKey));
    const receiving = new ReceivingChain(v.conversation, BOB, create(SenderKeySchema, { chainId: fromHex(v.chainId), chainKey: fromHex(v.chainKey) }));
    for (const m of v.messages) {
      const content = fromBinary(ContentSchema, fromHex(m.content));
      const sealed = await sending.seal({ accountId: BOB, keyId: 1, keys: bob }, v.conversation, m.clientMsgId, BigInt(m.sentAtMs), content);
      expect(hex(sealed)).toBe(m.sealed);
    }
    for (const m of [...v.messages].reverse()) {
      const opened = await receiving.open(fromHex(m.sealed), v.conversation, BOB, bob.publicIdentity.ed25519);
      expect(hex(toBinary(ContentSchema, opened.content))).toBe(m.content);
    }
    const tampered = fromHex(v.messages[1].sealed);
    tampered[tampered.length - 70] ^= 1;
    await expect(receiving.open(tampered, v.conversation, BOB, bob.publicIdentity.ed25519)).rejects.toBeTruthy();
  });

  check("replays the Java membership chain to the same roster and head, and rejects it reordered", async () => {
    const alice = await identity("alice");
    const bob = await identity("bob");
    const chain = vectors.membership.statements.map((s) => fromBinary(SignedStatementSchema, fromHex(s)));
    const keys = (account: bigint) => (account === ALICE ? alice : bob).publicIdentity.ed25519;
    const roster = await verifyChain(chain, keys);
    expect(hex(roster.head)).toBe(vectors.membership.head);
    expect(roster.members.get(BOB)).toBe(true);
    expect(roster.groupName).toBe("team");
    await expect(verifyChain([chain[0], chain[2], chain[1], chain[3]], keys)).rejects.toBeInstanceOf(InvalidChainError);
  });

  check("computes the same safety number from either side", async () => {
    const alice = await identity("alice");
    const bob = await identity("bob");
    expect(await safetyNumber("alice", alice.publicIdentity, "bob", bob.publicIdentity)).toBe(vectors.safetyNumber.value);
    expect(await safetyNumber("bob", bob.publicIdentity, "alice", alice.publicIdentity)).toBe(vectors.safetyNumber.value);
  });

  check("encrypts file chunks as the Java code does, and refuses one moved elsewhere", async () => {
    const v = vectors.fileChunk;
    expect(hex(await encryptChunk(fromHex(v.key), v.fileId, v.index, v.count, fromHex(v.plaintext)))).toBe(v.ciphertext);
    expect(hex(await decryptChunk(fromHex(v.key), v.fileId, v.index, v.count, fromHex(v.ciphertext)))).toBe(v.plaintext);
    await expect(decryptChunk(fromHex(v.key), v.fileId, v.index + 1, v.count, fromHex(v.ciphertext))).rejects.toMatchObject({ reason: "TAMPERED" });
  });

  check("opens the Java trust state, and refuses it as another version", async () => {
    const v = vectors.trustState;
    const alice = await identity("alice");
    expect(hex(await openTrustState(alice, v.username, BigInt(v.version), fromHex(v.sealed)))).toBe(v.state);
    await expect(openTrustState(alice, v.username, BigInt(v.version + 1), fromHex(v.sealed))).rejects.toThrow(/does not open/);
    const own = await sealTrustState(alice, "alice", 6n, utf8("x"));
    expect(hex(await openTrustState(alice, "alice", 6n, own))).toBe(hex(utf8("x")));
  });
});
