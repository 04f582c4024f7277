/** Why a sealed thing did not open; the same reasons as the Java client's OpenException. */
export type OpenReason =
  | "MALFORMED"
  | "WRONG_CONVERSATION"
  | "WRONG_SENDER"
  | "BAD_SIGNATURE"
  | "NOT_A_RECIPIENT"
  | "TAMPERED"
  | "UNKNOWN_CHAIN"
  | "TOO_LARGE";

/** A message (or file chunk) failed a check: nothing of it may be shown. */
export class OpenError extends Error {
  constructor(
    readonly reason: OpenReason,
    message: string,
  ) {
    super(message);
    this.name = "OpenError";
  }
}

/** A key, backup or state did not open (a wrong password, or altered data). */
export class CryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CryptoError";
  }
}
