/**
 * Identity private keys sealed under the password-derived backup key, as the Java client's KeyBackup:
 * version (1) || nonce (12) || AES-256-GCM(x25519 private || ed25519 private), AAD "fastchat key backup v1\0" || username.
 */
import { type Bytes, concat, random, utf8 } from "./bytes";
import { CryptoError } from "./errors";
import { IdentityKeyPair } from "./identity";
import { aesGcmDecrypt, aesGcmEncrypt } from "./primitives";

const VERSION = 1;
const NONCE_BYTES = 12;
export const SEALED_LENGTH = 1 + NONCE_BYTES + 64 + 16;

function aad(username: string): Bytes {
  return utf8("fastchat key backup v1\0" + username);
}

export async function sealKeyBackup(identity: IdentityKeyPair, backupKey: Uint8Array, username: string): Promise<Bytes> {
  const nonce = random(NONCE_BYTES);
  const plain = concat(identity.x25519Private, identity.ed25519Private);
  try {
    return concat(new Uint8Array([VERSION]), nonce, await aesGcmEncrypt(backupKey, nonce, aad(username), plain));
  } finally {
    plain.fill(0);
  }
}

/** @throws CryptoError when the password (backup key) or username is wrong, or the backup was altered */
export async function openKeyBackup(sealed: Uint8Array, backupKey: Uint8Array, username: string): Promise<IdentityKeyPair> {
  if (sealed.length !== SEALED_LENGTH || sealed[0] !== VERSION) {
    throw new CryptoError(`not a version ${VERSION} key backup`);
  }
  let plain: Bytes;
  try {
    plain = await aesGcmDecrypt(backupKey, sealed.subarray(1, 1 + NONCE_BYTES), aad(username), sealed.subarray(1 + NONCE_BYTES));
  } catch {
    throw new CryptoError("the key backup does not open with this password (or was altered)");
  }
  try {
    return await IdentityKeyPair.fromPrivateKeys(plain.slice(0, 32), plain.slice(32, 64));
  } finally {
    plain.fill(0);
  }
}
