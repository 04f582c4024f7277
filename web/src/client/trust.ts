/**
 * The contacts' keys this user pinned and verified, as the Java client's TrustStore: kept in the vault and, sealed under
 * a key only the identity keys give (crypto/trustState), on the server as versions, so that every device of the user
 * trusts the same keys. A change is pushed shortly after (changes meanwhile go together); when another device stored a
 * version in between, the two are merged (per contact, the newer pin wins) and pushed again.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ErrorCode } from "../gen/fastchat/v1/errors_pb";
import { TrustedContactSchema, TrustedContactsSchema } from "../gen/fastchat/v1/keys_pb";
import { equal, fromHex, hex } from "../crypto/bytes";
import type { IdentityKeyPair, PublicIdentity } from "../crypto/identity";
import { openTrustState, sealTrustState } from "../crypto/trustState";
import { ChatError, type Connection, expect } from "./connection";
import type { PinRecord, Vault } from "./vault";

export interface Pin {
  accountId: bigint;
  name: string;
  keyId: number;
  identity: PublicIdentity;
  verified: boolean;
  changedAtMs: number;
}

const MAX_MERGES = 5;

function toRecord(pin: Pin): PinRecord {
  return { accountId: pin.accountId.toString(), name: pin.name, keyId: pin.keyId, x25519: hex(pin.identity.x25519),
    ed25519: hex(pin.identity.ed25519), verified: pin.verified, changedAtMs: pin.changedAtMs };
}

function fromRecord(r: PinRecord): Pin {
  return { accountId: BigInt(r.accountId), name: r.name, keyId: r.keyId, identity: { x25519: fromHex(r.x25519), ed25519: fromHex(r.ed25519) },
    verified: r.verified, changedAtMs: r.changedAtMs };
}

function samePin(a: Pin, b: Pin | undefined): boolean {
  return !!b && a.accountId === b.accountId && a.name === b.name && a.keyId === b.keyId && a.verified === b.verified
    && a.changedAtMs === b.changedAtMs && equal(a.identity.x25519, b.identity.x25519) && equal(a.identity.ed25519, b.identity.ed25519);
}

export class TrustStore {
  private readonly pins = new Map<bigint, Pin>();
  private version: bigint;
  private pushing: Promise<void> = Promise.resolve();
  private pushScheduled = false;

  constructor(
    private readonly connection: () => Connection,
    private readonly vault: Vault,
    private readonly myName: string,
    private readonly identity: IdentityKeyPair,
  ) {
    for (const record of vault.state.pins) {
      const pin = fromRecord(record);
      this.pins.set(pin.accountId, pin);
    }
    this.version = BigInt(vault.state.pinsVersion);
  }

  get(accountId: bigint): Pin | undefined {
    return this.pins.get(accountId);
  }

  named(name: string): Pin | undefined {
    for (const pin of this.pins.values()) {
      if (pin.name === name) {
        return pin;
      }
    }
    return undefined;
  }

  /** Pins (replacing any pin of the account, and any of the name under another account); pushed soon. */
  pin(accountId: bigint, name: string, keyId: number, identity: PublicIdentity, verified: boolean): void {
    for (const [id, pin] of this.pins) {
      if (pin.name === name && id !== accountId) {
        this.pins.delete(id);
      }
    }
    this.pins.set(accountId, { accountId, name, keyId, identity, verified, changedAtMs: Date.now() });
    this.store();
    this.schedulePush();
  }

  private store(): void {
    this.vault.state.pins = [...this.pins.values()].map(toRecord);
    this.vault.state.pinsVersion = this.version.toString();
    this.vault.changed();
  }

  /** Merges the pins stored on the server (before any trust decision of a session); pushes when this browser knew more. */
  async pull(): Promise<void> {
    const stored = expect(await this.connection().request({ case: "getTrustState", value: {} }), "trustState");
    const older = stored.version < this.version;
    let theirs = new Map<bigint, Pin>();
    if (stored.version !== 0n) {
      let bytes;
      try {
        bytes = await openTrustState(this.identity, this.myName, stored.version, stored.sealed);
      } catch (e) {
        throw new ChatError(ErrorCode.UNTRUSTED_SERVER, `the trust state the server keeps for ${this.myName} (version ${stored.version})`
          + ` does not open with this account's keys: ${(e as Error).message}`);
      }
      for (const c of fromBinary(TrustedContactsSchema, bytes).contacts) {
        theirs.set(c.accountId, { accountId: c.accountId, name: c.username, keyId: c.keyId,
          identity: { x25519: c.x25519Public, ed25519: c.ed25519Public }, verified: c.verified, changedAtMs: Number(c.changedAtMs) });
      }
    }
    for (const pin of theirs.values()) {
      const mine = this.pins.get(pin.accountId);
      if (!mine || (pin.changedAtMs > mine.changedAtMs && !samePin(pin, mine))) {
        for (const [id, other] of this.pins) {
          if (other.name === pin.name && id !== pin.accountId && other.changedAtMs <= pin.changedAtMs) {
            this.pins.delete(id);
          }
        }
        this.pins.set(pin.accountId, pin);
      }
    }
    const ahead = older || [...this.pins.values()].some((mine) => !samePin(mine, theirs.get(mine.accountId)));
    this.version = stored.version;
    this.store();
    if (ahead) {
      this.schedulePush();
    }
  }

  private schedulePush(): void {
    if (this.pushScheduled) {
      return;
    }
    this.pushScheduled = true;
    this.pushing = this.pushing.then(() => new Promise((resolve) => setTimeout(resolve, 200))).then(() => this.push());
  }

  private async push(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.pushScheduled = false;
      const next = this.version + 1n;
      const contacts = create(TrustedContactsSchema, {
        contacts: [...this.pins.values()].map((pin) => create(TrustedContactSchema, {
          accountId: pin.accountId, username: pin.name, keyId: pin.keyId, x25519Public: pin.identity.x25519,
          ed25519Public: pin.identity.ed25519, verified: pin.verified, changedAtMs: BigInt(pin.changedAtMs),
        })),
      });
      const sealed = await sealTrustState(this.identity, this.myName, next, toBinary(TrustedContactsSchema, contacts));
      try {
        await this.connection().request({ case: "putTrustState", value: { version: next, sealed } });
        if (next > this.version) {
          this.version = next;
        }
        this.store();
        return;
      } catch (e) {
        if (!(e instanceof ChatError) || e.code !== ErrorCode.STALE_VERSION || attempt === MAX_MERGES) {
          console.warn(`the pins of ${this.myName} were not stored on the server (they stay in this browser): ${(e as Error).message}`);
          return;
        }
        await this.pull();
      }
    }
  }

  /** Waits until the changes so far are stored on the server. */
  flush(): Promise<void> {
    return this.pushing;
  }
}
