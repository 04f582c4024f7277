/**
 * A user's long-term identity, as the Java client's IdentityKeyPair: an X25519 key pair (encryption) and an Ed25519
 * key pair (signatures), private keys as raw 32-byte values, never sent anywhere unsealed.
 */
import { type Bytes, fromBase64Url, random } from "./bytes";
import { CryptoError } from "./errors";
import { ed25519Sign, pkcs8 } from "./primitives";

const subtle = globalThis.crypto.subtle;

export interface PublicIdentity {
  readonly x25519: Uint8Array;
  readonly ed25519: Uint8Array;
}

export class IdentityKeyPair {
  private constructor(
    readonly x25519Private: Bytes,
    readonly ed25519Private: Bytes,
    readonly publicIdentity: PublicIdentity,
    private readonly signingKey: CryptoKey,
    /** The X25519 private key for HPKE. */
    readonly encryptionKey: CryptoKey,
  ) {}

  /** Rebuilds an identity from its two raw private keys. */
  static async fromPrivateKeys(x25519Private: Uint8Array, ed25519Private: Uint8Array): Promise<IdentityKeyPair> {
    if (x25519Private.length !== 32 || ed25519Private.length !== 32) {
      throw new CryptoError("identity private keys must be 32 bytes each");
    }
    const x = new Uint8Array(x25519Private);
    const ed = new Uint8Array(ed25519Private);
    // Imported extractable once, to read the public halves from the JWK; the kept keys are not extractable.
    const edJwk = await subtle.exportKey("jwk", await subtle.importKey("pkcs8", pkcs8("Ed25519", ed), "Ed25519", true, ["sign"]));
    const xJwk = await subtle.exportKey("jwk", await subtle.importKey("pkcs8", pkcs8("X25519", x), "X25519", true, ["deriveBits"]));
    const signing = await subtle.importKey("pkcs8", pkcs8("Ed25519", ed), "Ed25519", false, ["sign"]);
    const encryption = await subtle.importKey("pkcs8", pkcs8("X25519", x), "X25519", false, ["deriveBits"]);
    return new IdentityKeyPair(x, ed, { x25519: fromBase64Url(xJwk.x!), ed25519: fromBase64Url(edJwk.x!) }, signing, encryption);
  }

  /** A fresh identity. X25519 clamps its private key; Ed25519 hashes its seed: any 32 random bytes serve both. */
  static generate(): Promise<IdentityKeyPair> {
    return IdentityKeyPair.fromPrivateKeys(random(32), random(32));
  }

  sign(data: Uint8Array): Promise<Bytes> {
    return ed25519Sign(this.signingKey, data);
  }
}
