/**
 * Files encrypted chunk by chunk, as the Java client's FileCipher: AES-256-GCM under a fresh key per file, the
 * nonce the chunk index, AAD "fastchat v1 file chunk" || len(file id) || file id || index || chunk count.
 */
import { type Bytes, concat, random, u32, utf8 } from "./bytes";
import { OpenError } from "./errors";
import { aesGcmDecrypt, aesGcmEncrypt } from "./primitives";

export const OVERHEAD = 16;
export const KEY_BYTES = 32;

function nonce(index: number): Bytes {
  return concat(new Uint8Array(8), u32(index));
}

function aad(fileId: string, index: number, count: number): Bytes {
  const id = utf8(fileId);
  return concat(utf8("fastchat v1 file chunk"), u32(id.length), id, u32(index), u32(count));
}

export function newFileKey(): Bytes {
  return random(KEY_BYTES);
}

export function encryptChunk(key: Uint8Array, fileId: string, index: number, count: number, plaintext: Uint8Array): Promise<Bytes> {
  return aesGcmEncrypt(key, nonce(index), aad(fileId, index, count), plaintext);
}

/** @throws OpenError (TAMPERED) when the chunk was altered or belongs elsewhere */
export async function decryptChunk(key: Uint8Array, fileId: string, index: number, count: number, ciphertext: Uint8Array): Promise<Bytes> {
  if (key.length !== KEY_BYTES) {
    throw new OpenError("MALFORMED", `a file key has ${KEY_BYTES} bytes`);
  }
  try {
    return await aesGcmDecrypt(key, nonce(index), aad(fileId, index, count), ciphertext);
  } catch {
    throw new OpenError("TAMPERED", `chunk ${index} of file ${fileId} was altered, or belongs elsewhere`);
  }
}
