/**
 * A user's trust state (pins and verified marks) sealed for the server to keep, as the Java client's SealedTrustState:
 * format (1) || nonce (12) || AES-256-GCM(state) under HKDF(x25519 private || ed25519 private, "fastchat trust state
 * key v1"), AAD "fastchat trust state v1\0" || username || version (8 bytes, big-endian).
 */
import { type Bytes, concat, random, u64, utf8 } from "./bytes";
import { CryptoError } from "./errors";
import type { IdentityKeyPair } from "./identity";
import { aesGcmDecrypt, aesGcmEncrypt, hkdf } from "./primitives";

const FORMAT = 1;
const NONCE_BYTES = 12;

async function key(identity: IdentityKeyPair): Promise<Bytes> {
  const ikm = concat(identity.x25519Private, identity.ed25519Private);
  try {
    return await hkdf(ikm, new Uint8Array(0), utf8("fastchat trust state key v1"), 32);
  } finally {
    ikm.fill(0);
  }
}

function aad(username: string, version: bigint): Bytes {
  return concat(utf8("fastchat trust state v1\0"), utf8(username), u64(version));
}

export async function sealTrustState(identity: IdentityKeyPair, username: string, version: bigint, state: Uint8Array): Promise<Bytes> {
  const nonce = random(NONCE_BYTES);
  return concat(new Uint8Array([FORMAT]), nonce, await aesGcmEncrypt(await key(identity), nonce, aad(username, version), state));
}

/** @throws CryptoError if sealed by other keys, for another user or version, or altered */
export async function openTrustState(identity: IdentityKeyPair, username: string, version: bigint, sealed: Uint8Array): Promise<Bytes> {
  if (sealed.length < 1 + NONCE_BYTES + 16 || sealed[0] !== FORMAT) {
    throw new CryptoError(`not a sealed trust state of format ${FORMAT}`);
  }
  try {
    return await aesGcmDecrypt(await key(identity), sealed.subarray(1, 1 + NONCE_BYTES), aad(username, version), sealed.subarray(1 + NONCE_BYTES));
  } catch {
    throw new CryptoError(`the trust state does not open with these keys as version ${version} of ${username}`);
  }
}
