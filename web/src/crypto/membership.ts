/**
 * A group's membership as a hash chain of signed statements, as the Java client's MembershipChain: each statement is
 * signed by its actor (Ed25519 over "fastchat membership v1" || statement bytes) and names the SHA-256 of the signed
 * statement before it. {@link verifyChain} replays the chain under the group's rules and yields the roster it proves.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  MembershipAction,
  type MembershipStatement,
  MembershipStatementSchema,
  type SignedStatement,
  SignedStatementSchema,
} from "../gen/fastchat/v1/groups_pb";
import { type Bytes, concat, equal, utf8 } from "./bytes";
import { CryptoError } from "./errors";
import type { IdentityKeyPair } from "./identity";
import { ed25519Verify, sha256 } from "./primitives";

const CONTEXT = utf8("fastchat membership v1");
export const CHAIN_ID_BYTES = 16;

export class InvalidChainError extends CryptoError {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(`membership statement #${index}: ${message}`);
    this.name = "InvalidChainError";
  }
}

/** The Ed25519 public key an account signs with under a key id; undefined if unknown. */
export type SigningKeys = (accountId: bigint, keyId: number) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export interface Roster {
  chainId: Bytes;
  length: number;
  head: Bytes;
  groupName: string;
  /** Members in the order they joined, with whether each is an admin. */
  members: Map<bigint, boolean>;
  invited: Set<bigint>;
}

export async function signStatement(statement: MembershipStatement, actor: IdentityKeyPair): Promise<SignedStatement> {
  const bytes = toBinary(MembershipStatementSchema, statement);
  return create(SignedStatementSchema, { statement: bytes, signature: await actor.sign(concat(CONTEXT, bytes)) });
}

export function hashStatement(signed: SignedStatement): Promise<Bytes> {
  return sha256(toBinary(SignedStatementSchema, signed));
}

export function readStatement(signed: SignedStatement): MembershipStatement {
  try {
    return fromBinary(MembershipStatementSchema, signed.statement);
  } catch {
    throw new CryptoError("not a membership statement");
  }
}

export function signatureValid(signed: SignedStatement, ed25519Public: Uint8Array | undefined): Promise<boolean> {
  if (!ed25519Public) {
    return Promise.resolve(false);
  }
  return ed25519Verify(ed25519Public, signed.signature, concat(CONTEXT, signed.statement));
}

/** Replays {@code chain} from its start. @throws InvalidChainError at the first statement that does not hold */
export async function verifyChain(chain: SignedStatement[], keys: SigningKeys): Promise<Roster> {
  if (chain.length === 0) {
    throw new InvalidChainError(0, "the group has no membership statements");
  }
  let chainId: Bytes = new Uint8Array(0);
  let previous: Bytes = new Uint8Array(0);
  let name = "";
  const members = new Map<bigint, boolean>();
  const invited = new Set<bigint>();
  for (let i = 0; i < chain.length; i++) {
    const signed = chain[i];
    let s: MembershipStatement;
    try {
      s = fromBinary(MembershipStatementSchema, signed.statement);
    } catch {
      throw new InvalidChainError(i, "malformed");
    }
    if (s.index !== BigInt(i)) {
      throw new InvalidChainError(i, `carries index ${s.index} (statements reordered or dropped)`);
    }
    if (!equal(previous, s.previous)) {
      throw new InvalidChainError(i, "does not follow the statement before it (reordered, dropped or altered)");
    }
    if (i === 0) {
      if (s.action !== MembershipAction.CREATE || s.chainId.length !== CHAIN_ID_BYTES) {
        throw new InvalidChainError(i, "the chain does not start with its creation");
      }
      chainId = new Uint8Array(s.chainId);
      name = s.groupName;
    } else if (!equal(chainId, s.chainId)) {
      throw new InvalidChainError(i, "belongs to another group's chain");
    }
    if (!(await signatureValid(signed, await keys(s.actorId, s.signerKeyId)))) {
      throw new InvalidChainError(i, `the signature is not account ${s.actorId}'s`);
    }
    apply(i, s, members, invited);
    previous = await hashStatement(signed);
  }
  return { chainId, length: chain.length, head: previous, groupName: name, members, invited };
}

function apply(i: number, s: MembershipStatement, members: Map<bigint, boolean>, invited: Set<bigint>): void {
  const actor = s.actorId;
  const subject = s.subjectId;
  const admin = members.get(actor) === true;
  const require = (condition: boolean, broken: string) => {
    if (!condition) {
      throw new InvalidChainError(i, broken);
    }
  };
  switch (s.action) {
    case MembershipAction.CREATE:
      require(i === 0 && subject === actor, "a creation after the start");
      members.set(actor, true);
      break;
    case MembershipAction.INVITE:
      require(admin, `account ${actor} invites without being an admin`);
      require(!members.has(subject) && !invited.has(subject), `account ${subject} is a member or invited already`);
      invited.add(subject);
      break;
    case MembershipAction.ACCEPT:
      require(subject === actor && invited.delete(subject), `account ${actor} joins without an invitation`);
      members.set(subject, false);
      break;
    case MembershipAction.DECLINE:
      require(subject === actor && invited.delete(subject), `account ${actor} declines without an invitation`);
      break;
    case MembershipAction.REMOVE:
      require(admin, `account ${actor} removes without being an admin`);
      require(members.delete(subject), `account ${subject} is neither member nor invited`);
      break;
    case MembershipAction.PROMOTE:
      require(admin, `account ${actor} promotes without being an admin`);
      require(members.has(subject), `account ${subject} is not a member`);
      members.set(subject, true);
      break;
    case MembershipAction.LEAVE:
      require(subject === actor && members.delete(actor), `account ${actor} leaves without being a member`);
      break;
    default:
      throw new InvalidChainError(i, `unknown action ${s.action}`);
  }
}
