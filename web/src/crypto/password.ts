/**
 * The two keys a client derives from a password, as the Java client's PasswordKeys:
 * master = Argon2id(password, salt = server_id || 0x00 || username), auth key = HKDF(master, "fastchat auth") (sent
 * to log in), backup key = HKDF(master, "fastchat backup") (never leaves the browser). Argon2id is hash-wasm's.
 */
import { argon2id } from "hash-wasm";
import { type Bytes, concat, utf8 } from "./bytes";
import { CryptoError } from "./errors";
import { hkdf } from "./primitives";

export interface KdfParams {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

/** New accounts: OWASP's Argon2id minimum (19 MiB, t=2, p=1), as the Java client. */
export const DEFAULT_KDF: KdfParams = { memoryKib: 19 * 1024, iterations: 2, parallelism: 1 };
/** The most a browser spends on a log-in: a server asking for more is refused (it could stall the tab). */
export const KDF_CEILING: KdfParams = { memoryKib: 1024 * 1024, iterations: 10, parallelism: 16 };

export interface PasswordKeys {
  authKey: Bytes;
  backupKey: Bytes;
}

export function within(params: KdfParams, floor: KdfParams, ceiling: KdfParams): boolean {
  return params.memoryKib >= floor.memoryKib && params.iterations >= floor.iterations && params.parallelism >= floor.parallelism
    && params.memoryKib <= ceiling.memoryKib && params.iterations <= ceiling.iterations && params.parallelism <= ceiling.parallelism;
}

export async function derivePasswordKeys(password: string, serverId: string, username: string, params: KdfParams): Promise<PasswordKeys> {
  if (!within(params, { memoryKib: 8 * params.parallelism, iterations: 1, parallelism: 1 }, KDF_CEILING)) {
    throw new CryptoError(`Argon2id parameters out of range: m=${params.memoryKib} KiB, t=${params.iterations}, p=${params.parallelism}`);
  }
  const master = (await argon2id({
    password: utf8(password),
    salt: concat(utf8(serverId), new Uint8Array([0]), utf8(username)),
    parallelism: params.parallelism,
    iterations: params.iterations,
    memorySize: params.memoryKib,
    hashLength: 32,
    outputType: "binary",
  })) as Bytes;
  try {
    return {
      authKey: await hkdf(master, new Uint8Array(0), utf8("fastchat auth"), 32),
      backupKey: await hkdf(master, new Uint8Array(0), utf8("fastchat backup"), 32),
    };
  } finally {
    master.fill(0);
  }
}
