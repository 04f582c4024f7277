/**
 * The safety number two users compare out of band, as the Java client's SafetyNumber: per user, SHA-512 iterated
 * 5,200 times over (version, ed25519 || x25519 public, name), 30 digits from its first 30 bytes; halves in name order.
 */
import { createSHA512 } from "hash-wasm";
import { concat, utf8 } from "./bytes";
import type { PublicIdentity } from "./identity";

const ITERATIONS = 5200;

async function half(name: string, identity: PublicIdentity): Promise<string> {
  const sha512 = await createSHA512();
  const keys = concat(identity.ed25519, identity.x25519);
  sha512.init();
  sha512.update(new Uint8Array([0, 1]));
  sha512.update(keys);
  sha512.update(utf8(name));
  let hash = sha512.digest("binary");
  for (let i = 1; i < ITERATIONS; i++) {
    sha512.init();
    sha512.update(hash);
    sha512.update(keys);
    hash = sha512.digest("binary");
  }
  let digits = "";
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0n;
    for (let i = 0; i < 5; i++) {
      value = (value << 8n) | BigInt(hash[chunk * 5 + i]);
    }
    digits += (value % 100000n).toString().padStart(5, "0");
  }
  return digits;
}

/** 12 groups of 5 digits, the halves apart by two spaces: the same on both sides. */
export async function safetyNumber(nameA: string, a: PublicIdentity, nameB: string, b: PublicIdentity): Promise<string> {
  const halfA = await half(nameA, a);
  const halfB = await half(nameB, b);
  const digits = nameA <= nameB ? halfA + halfB : halfB + halfA;
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += 5) {
    groups.push(digits.substring(i, i + 5));
  }
  return groups.slice(0, 6).join(" ") + "  " + groups.slice(6).join(" ");
}
