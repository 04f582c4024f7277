/**
 * The primitives, all from WebCrypto but SHA-512's iterations (hash-wasm, for the safety number): SHA-256,
 * HKDF-SHA256, HMAC-SHA256, AES-GCM with a 128-bit tag, Ed25519.
 */
import { type Bytes, concat, own } from "./bytes";

const subtle = globalThis.crypto.subtle;

export async function sha256(...parts: Uint8Array[]): Promise<Bytes> {
  const joined = parts.length === 1 ? own(parts[0]) : concat(...parts);
  return new Uint8Array(await subtle.digest("SHA-256", joined));
}

/** HKDF-SHA256 (RFC 5869), extract then expand; an empty salt is the RFC's zeros. */
export async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Bytes> {
  const key = await subtle.importKey("raw", own(ikm), "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: own(salt), info: own(info) }, key, length * 8);
  return new Uint8Array(bits);
}

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Bytes> {
  const k = await subtle.importKey("raw", own(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, own(data)));
}

export async function aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
  const k = await subtle.importKey("raw", own(key), "AES-GCM", false, ["encrypt"]);
  return new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: own(nonce), additionalData: own(aad), tagLength: 128 }, k, own(plaintext)));
}

/** @throws DOMException (OperationError) when the tag does not match */
export async function aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Bytes> {
  const k = await subtle.importKey("raw", own(key), "AES-GCM", false, ["decrypt"]);
  return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: own(nonce), additionalData: own(aad), tagLength: 128 }, k, own(ciphertext)));
}

/** PKCS#8 wrappers of raw 32-byte private keys (RFC 8410): WebCrypto imports private keys of these curves no other way. */
const ED25519_PKCS8 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const X25519_PKCS8 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

export function pkcs8(curve: "Ed25519" | "X25519", raw: Uint8Array): Bytes {
  const prefix = curve === "Ed25519" ? ED25519_PKCS8 : X25519_PKCS8;
  const out = new Uint8Array(prefix.length + 32);
  out.set(prefix);
  out.set(raw, prefix.length);
  return out;
}

export async function ed25519Sign(privateKey: CryptoKey, data: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await subtle.sign("Ed25519", privateKey, own(data)));
}

/** Whether {@code signature} is {@code publicKey}'s over {@code data}; false for malformed keys or signatures. */
export async function ed25519Verify(publicKey: Uint8Array, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) {
    return false;
  }
  try {
    const key = await subtle.importKey("raw", own(publicKey), "Ed25519", false, ["verify"]);
    return await subtle.verify("Ed25519", key, own(signature), own(data));
  } catch {
    return false;
  }
}
