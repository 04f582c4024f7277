/** What the web client shows: the same model as the Java client library's records. */

/** How far the sender's key is trusted: pinned on first use, verified by safety number, or changed since it was pinned. */
export type KeyTrust = "FIRST_USE" | "PINNED" | "VERIFIED" | "KEY_CHANGED";

/** A conversation: a direct one with a user, or a group. */
export interface Target {
  name: string;
  group: boolean;
}

export function targetKey(target: Target): string {
  return (target.group ? "#" : "@") + target.name;
}

export interface SharedFile {
  fileId: string;
  name: string;
  size: number;
  mediaType: string;
  width: number;
  height: number;
}

export interface Reaction {
  seq: number;
  emoji: string;
  removed: boolean;
}

export interface ChatMessage {
  conversationId: string;
  conversation: Target;
  seq: number;
  senderId: bigint;
  sender: string;
  mine: boolean;
  /** The text; for an edit, the new text; empty for files, reactions and deleted messages. */
  text: string;
  sentAtMs: number;
  serverTimeMs: number;
  trust: KeyTrust;
  file?: SharedFile;
  /** The seq this message answers, or 0. */
  replyTo: number;
  /** The seq of the message this one edits, or 0. */
  edits: number;
  reaction?: Reaction;
  deleted: boolean;
}

export interface UserPresence {
  accountId: bigint;
  username: string;
  online: boolean;
}

export interface ConversationSummary {
  conversationId: string;
  target: Target;
  lastSeq: number;
  readSeq: number;
  unread: number;
}

export interface GroupSummary {
  name: string;
  conversationId: string;
  member: boolean;
  admin: boolean;
  memberCount: number;
}

export interface GroupMember {
  accountId: bigint;
  username: string;
  admin: boolean;
  online: boolean;
}

export interface Invitation {
  group: string;
  invitedBy: string;
}

/** What the client tells the page, as it happens. */
export interface ChatEvents {
  message(message: ChatMessage): void;
  rejected(conversationId: string, seq: number, reason: string): void;
  presence(presence: UserPresence): void;
  membership(group: string, change: string, username: string, by: string): void;
  typing(conversationId: string, username: string, typing: boolean): void;
  receipt(conversationId: string, from: string, read: boolean, upToSeq: number): void;
  deleted(conversationId: string, senderId: bigint, seqs: number[]): void;
  readElsewhere(conversationId: string, seq: number): void;
  keyChanged(username: string): void;
  connection(state: "connected" | "reconnecting" | "disconnected", detail: string): void;
  sessionEnded(reason: string): void;
}
