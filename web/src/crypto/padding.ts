/**
 * Length hiding for message content, as the Java client's Padding: content || 0x80 || zeros up to a bucket (powers
 * of two from 128 bytes to 4 KiB, then multiples of 4 KiB), capped at MAX_PADDED_CONTENT_BYTES.
 */
import type { Bytes } from "./bytes";
import { OpenError } from "./errors";

export const MAX_TEXT_BYTES = 64 << 10;
export const MAX_PADDED_CONTENT_BYTES = MAX_TEXT_BYTES + 256;
const SMALLEST = 128;
const STEP = 4096;

export function paddedLength(contentLength: number): number {
  const needed = contentLength + 1;
  const bucket = needed <= STEP ? Math.max(SMALLEST, 1 << (32 - Math.clz32(needed - 1))) : Math.ceil(needed / STEP) * STEP;
  return Math.min(bucket, MAX_PADDED_CONTENT_BYTES);
}

export function pad(content: Uint8Array): Bytes {
  if (content.length + 1 > MAX_PADDED_CONTENT_BYTES) {
    throw new OpenError("TOO_LARGE", `content of ${content.length} bytes is over the limit of ${MAX_PADDED_CONTENT_BYTES - 1}`);
  }
  const padded = new Uint8Array(paddedLength(content.length));
  padded.set(content);
  padded[content.length] = 0x80;
  return padded;
}

export function unpad(padded: Uint8Array): Bytes {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) {
    end--;
  }
  if (end < 0 || padded[end] !== 0x80) {
    throw new OpenError("MALFORMED", "content padding is malformed");
  }
  return padded.slice(0, end);
}
