/**
 * What a browser keeps of an account between visits, in IndexedDB, sealed at rest: AES-256-GCM under a key derived
 * (HKDF-SHA256, "fastchat web vault v1") from the password's backup key, which only Argon2id of the password gives.
 * So the identity keys, pins, the membership chains seen and the replay log are unreadable without the password, as
 * the Java client's files are readable by their owner only. The Argon2id parameters the account logs in with are kept
 * beside it, in the clear (they are not secret), so that a server cannot lower them unnoticed.
 */
import { type IDBPDatabase, openDB } from "idb";
import { type Bytes, concat, fromHex, fromUtf8, hex, random, utf8 } from "../crypto/bytes";
import { CryptoError } from "../crypto/errors";
import type { KdfParams } from "../crypto/password";
import { aesGcmDecrypt, aesGcmEncrypt, hkdf } from "../crypto/primitives";

export interface PinRecord {
  accountId: string;
  name: string;
  keyId: number;
  x25519: string;
  ed25519: string;
  verified: boolean;
  changedAtMs: number;
}

/** The sealed part. */
export interface VaultState {
  x25519Private: string;
  ed25519Private: string;
  pins: PinRecord[];
  pinsVersion: string;
  /** group -> [chain id, length, head], hex. */
  chainsSeen: Record<string, [string, number, string]>;
  /** "sender/clientMsgId" -> "conversation#seq", newest last, bounded. */
  shown: [string, string][];
}

interface Stored {
  kdf: KdfParams;
  nonce: Uint8Array;
  sealed: Uint8Array;
}

const DB = "fastchat";
const STORE = "accounts";
const SHOWN_LIMIT = 20_000;

let db: Promise<IDBPDatabase> | undefined;

function database(): Promise<IDBPDatabase> {
  db ??= openDB(DB, 1, {
    upgrade(database) {
      database.createObjectStore(STORE);
    },
  });
  return db;
}

async function vaultKey(backupKey: Uint8Array): Promise<Bytes> {
  return hkdf(backupKey, new Uint8Array(0), utf8("fastchat web vault v1"), 32);
}

function aad(id: string): Bytes {
  return concat(utf8("fastchat web vault v1\0"), utf8(id));
}

/** One account's vault on this browser, open (its key in memory while the user is logged in). */
export class Vault {
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    readonly id: string,
    private readonly key: Bytes,
    readonly kdf: KdfParams,
    readonly state: VaultState,
  ) {}

  static id(serverId: string, username: string): string {
    return `${serverId}/${username}`;
  }

  /** The Argon2id parameters this browser logged in to the account with before, if it did. */
  static async rememberedKdf(id: string): Promise<KdfParams | undefined> {
    const stored = (await (await database()).get(STORE, id)) as Stored | undefined;
    return stored?.kdf;
  }

  /**
   * Opens the account's vault with the password's backup key, or starts one for these identity keys.
   *
   * @throws CryptoError when a vault is there and does not open with this key (another password, or altered)
   */
  static async open(id: string, backupKey: Uint8Array, kdf: KdfParams, identity: { x25519Private: Uint8Array; ed25519Private: Uint8Array }): Promise<Vault> {
    const key = await vaultKey(backupKey);
    const stored = (await (await database()).get(STORE, id)) as Stored | undefined;
    let state: VaultState | undefined;
    if (stored) {
      try {
        state = JSON.parse(fromUtf8(await aesGcmDecrypt(key, stored.nonce, aad(id), stored.sealed))) as VaultState;
      } catch {
        throw new CryptoError("this browser's saved keys for the account do not open with this password");
      }
    }
    if (!state || state.x25519Private !== hex(identity.x25519Private) || state.ed25519Private !== hex(identity.ed25519Private)) {
      // New here, or the account's keys were replaced elsewhere: the pins and the rest stay, the keys are the server's.
      state = {
        pins: state?.pins ?? [],
        pinsVersion: state?.pinsVersion ?? "0",
        chainsSeen: state?.chainsSeen ?? {},
        shown: state?.shown ?? [],
        x25519Private: hex(identity.x25519Private),
        ed25519Private: hex(identity.ed25519Private),
      };
    }
    const vault = new Vault(id, key, kdf, state);
    await vault.save();
    return vault;
  }

  identityKeys(): { x25519Private: Bytes; ed25519Private: Bytes } {
    return { x25519Private: fromHex(this.state.x25519Private), ed25519Private: fromHex(this.state.ed25519Private) };
  }

  /** Saves soon (changes made meanwhile go together). */
  changed(): void {
    if (this.dirty) {
      return;
    }
    this.dirty = true;
    this.saving = this.saving.then(() => new Promise((resolve) => setTimeout(resolve, 100))).then(() => this.save());
  }

  async save(): Promise<void> {
    this.dirty = false;
    if (this.state.shown.length > SHOWN_LIMIT) {
      this.state.shown.splice(0, this.state.shown.length - SHOWN_LIMIT);
    }
    const nonce = random(12);
    const sealed = await aesGcmEncrypt(this.key, nonce, aad(this.id), utf8(JSON.stringify(this.state)));
    const record: Stored = { kdf: this.kdf, nonce, sealed };
    await (await database()).put(STORE, record, this.id);
  }

  /** Waits until every change is saved. */
  flush(): Promise<void> {
    return this.saving;
  }

  /** Deletes the account's vault from this browser. */
  static async forget(id: string): Promise<void> {
    await (await database()).delete(STORE, id);
  }
}
