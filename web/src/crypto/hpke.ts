/**
 * HPKE base mode (RFC 9180) with one suite, the Java client's: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
 * Single-shot: one encapsulation per sealed plaintext. The implementation is hpke-js (@hpke/core) on WebCrypto.
 */
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { type Bytes, own } from "./bytes";
import { CryptoError } from "./errors";

export const ENC_BYTES = 32;
export const TAG_BYTES = 16;

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

/** The bytes in an ArrayBuffer of their own (a view's buffer may hold more, such as the whole message they came in). */
function exact(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

export interface Sealed {
  enc: Bytes;
  ciphertext: Bytes;
}

/**
 * Seals to the holder of the private key of {@code recipientPublic} (32 raw bytes).
 *
 * @param ephemeralIkm for known-answer tests only: the input keying material of the ephemeral key pair
 */
export async function seal(recipientPublic: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array,
                           ephemeralIkm?: Uint8Array): Promise<Sealed> {
  if (recipientPublic.length !== 32) {
    throw new CryptoError("X25519 public keys are 32 bytes");
  }
  const recipientPublicKey = await suite.kem.importKey("raw", exact(recipientPublic), true);
  const sender = await suite.createSenderContext({
    recipientPublicKey,
    info: own(info),
    ...(ephemeralIkm ? { ekm: own(ephemeralIkm) } : {}),
  });
  const ciphertext = new Uint8Array(await sender.seal(own(plaintext), own(aad)));
  return { enc: new Uint8Array(sender.enc), ciphertext };
}

/** A recipient's X25519 private key, raw, as HPKE uses it. */
export function importPrivate(x25519Private: Uint8Array): Promise<CryptoKey> {
  return suite.kem.importKey("raw", exact(x25519Private), false);
}

/** Opens what {@link seal} sealed. @throws CryptoError for the wrong key or any altered byte */
export async function open(enc: Uint8Array, recipientPrivate: CryptoKey, info: Uint8Array, aad: Uint8Array,
                           ciphertext: Uint8Array): Promise<Bytes> {
  if (enc.length !== ENC_BYTES || ciphertext.length < TAG_BYTES) {
    throw new CryptoError("malformed HPKE ciphertext");
  }
  try {
    const recipient = await suite.createRecipientContext({ recipientKey: recipientPrivate, enc: own(enc), info: own(info) });
    return new Uint8Array(await recipient.open(own(ciphertext), own(aad)));
  } catch {
    throw new CryptoError("HPKE open failed: wrong key or altered data");
  }
}

/** The suite's DeriveKeyPair (RFC 9180 section 7.1.3): raw private and public keys. */
export async function deriveKeyPair(ikm: Uint8Array): Promise<{ privateKey: Bytes; publicKey: Bytes }> {
  const pair = await suite.kem.deriveKeyPair(own(ikm));
  return {
    privateKey: new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey)),
    publicKey: new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey)),
  };
}
