/**
 * What the page shows, kept from the client's events: conversations with their messages (each seq once), unread
 * counts, presence, typing, receipts, invitations. Components subscribe and re-render when it changes.
 */
import { useEffect, useState } from "preact/hooks";
import { ChatError } from "../client/connection";
import { type WebChatClient } from "../client/client";
import type { ChatEvents, ChatMessage, GroupSummary, Invitation, KeyTrust, Target } from "../client/types";
import { targetKey } from "../client/types";

export interface Shown {
  message: ChatMessage;
  /** The newest edit's text, when the sender edited it. */
  editedText?: string;
  /** emoji -> who reacted with it. */
  reactions: Map<string, string[]>;
}

export interface Conversation {
  key: string;
  target: Target;
  conversationId?: string;
  /** Every message by seq, edits and reactions included. */
  messages: Map<number, ChatMessage>;
  oldestLoaded: number;
  hasMore: boolean;
  loading: boolean;
  loadedOnce: boolean;
  lastSeq: number;
  readSeq: number;
  unread: number;
  mentions: number;
  typing: Map<string, number>;
  /** How far each member got / read this user's messages (seq). */
  delivered: Map<string, number>;
  read: Map<string, number>;
  trust?: KeyTrust;
}

const TYPING_SHOWN_MS = 6000;

export class ChatStore implements ChatEvents {
  client!: WebChatClient;
  readonly conversations = new Map<string, Conversation>();
  readonly online = new Map<string, boolean>();
  groups: GroupSummary[] = [];
  invitations: Invitation[] = [];
  connectionState: "connected" | "reconnecting" | "disconnected" = "connected";
  connectionDetail = "";
  notice = "";
  ended = "";
  selected: string | undefined;
  private readonly byId = new Map<string, string>();
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }

  get me(): string {
    return this.client.session?.username ?? "";
  }

  conversation(target: Target): Conversation {
    const key = targetKey(target);
    let conversation = this.conversations.get(key);
    if (!conversation) {
      conversation = {
        key, target, messages: new Map(), oldestLoaded: 0, hasMore: true, loading: false, loadedOnce: false, lastSeq: 0, readSeq: 0,
        unread: 0, mentions: 0, typing: new Map(), delivered: new Map(), read: new Map(),
      };
      this.conversations.set(key, conversation);
    }
    return conversation;
  }

  private byConversationId(id: string): Conversation | undefined {
    const key = this.byId.get(id);
    return key ? this.conversations.get(key) : undefined;
  }

  private link(conversation: Conversation, id: string): void {
    conversation.conversationId = id;
    this.byId.set(id, conversation.key);
  }

  mentionsMe(text: string): boolean {
    return new RegExp(`(^|[^a-z0-9_.-])@${this.me.replace(/[.]/g, "\\.")}(?![a-z0-9_.-])`, "i").test(text);
  }

  // ---- loading

  /** Unread counts, groups, invitations and who is online: the sidebar. */
  async refresh(): Promise<void> {
    const m = this.client.messenger;
    if (!m) {
      return;
    }
    const [unread, groups, invitations, presence] = await Promise.all([m.unread(), m.listGroups(), m.invitations(), m.whoIsOnline()]);
    for (const c of unread.conversations) {
      const conversation = this.conversation(c.target);
      this.link(conversation, c.conversationId);
      conversation.lastSeq = Math.max(conversation.lastSeq, c.lastSeq);
      conversation.readSeq = Math.max(conversation.readSeq, c.readSeq);
      conversation.unread = this.selected === conversation.key ? 0 : c.unread;
    }
    for (const g of groups) {
      const conversation = this.conversation({ name: g.name, group: true });
      this.link(conversation, g.conversationId);
    }
    this.groups = groups;
    this.invitations = invitations;
    for (const p of presence) {
      this.online.set(p.username, p.online);
    }
    this.changed();
  }

  /** The newest page of a conversation, or the page before the oldest loaded. */
  async loadOlder(conversation: Conversation): Promise<void> {
    const m = this.client.messenger;
    if (!m || conversation.loading || (conversation.loadedOnce && !conversation.hasMore)) {
      return;
    }
    conversation.loading = true;
    this.changed();
    try {
      const before = conversation.loadedOnce ? conversation.oldestLoaded : 0;
      const page = await m.history(conversation.target, before, 50);
      for (const message of page.messages) {
        this.add(conversation, message);
      }
      if (page.messages.length > 0) {
        const oldest = Math.min(...page.messages.map((x) => x.seq));
        conversation.oldestLoaded = conversation.loadedOnce ? Math.min(conversation.oldestLoaded, oldest) : oldest;
      }
      conversation.hasMore = page.more && page.messages.length > 0 && conversation.oldestLoaded > 1;
      conversation.loadedOnce = true;
      if (!conversation.conversationId) {
        this.link(conversation, await m.conversationId(conversation.target));
      }
      if (!conversation.target.group) {
        conversation.trust = await m.trustOf(conversation.target.name);
        for (const p of await m.whoIsOnline([conversation.target.name])) {
          this.online.set(p.username, p.online);
        }
      }
      await m.fetchReceipts(conversation.conversationId!).catch(() => {});
      this.readStatus(conversation);
    } catch (e) {
      this.say(e);
    } finally {
      conversation.loading = false;
      this.changed();
    }
  }

  /** The newest messages of a conversation (after this user sent one: its own echo is not pushed to it). */
  async loadNewest(conversation: Conversation): Promise<void> {
    const m = this.client.messenger;
    if (!m) {
      return;
    }
    const page = await m.history(conversation.target, 0, 20);
    for (const message of page.messages) {
      this.add(conversation, message);
    }
    if (!conversation.loadedOnce && page.messages.length > 0) {
      conversation.oldestLoaded = Math.min(...page.messages.map((x) => x.seq));
      conversation.hasMore = page.more && conversation.oldestLoaded > 1;
      conversation.loadedOnce = true;
    }
    conversation.readSeq = Math.max(conversation.readSeq, conversation.lastSeq);
    this.changed();
  }

  private readStatus(conversation: Conversation): void {
    const m = this.client.messenger;
    if (!m || !conversation.conversationId) {
      return;
    }
    const newestMine = [...conversation.messages.values()].filter((x) => x.mine).map((x) => x.seq);
    if (newestMine.length === 0) {
      return;
    }
    const status = m.status(conversation.conversationId, Math.max(...newestMine));
    for (const id of status.delivered) {
      conversation.delivered.set(id.toString(), Math.max(...newestMine));
    }
    for (const id of status.read) {
      conversation.read.set(id.toString(), Math.max(...newestMine));
    }
  }

  private add(conversation: Conversation, message: ChatMessage): boolean {
    const isNew = !conversation.messages.has(message.seq);
    conversation.messages.set(message.seq, message);
    conversation.lastSeq = Math.max(conversation.lastSeq, message.seq);
    if (!conversation.conversationId) {
      this.link(conversation, message.conversationId);
    }
    return isNew;
  }

  /** The messages to show, oldest first: edits applied, reactions gathered, edits and reactions not shown apart. */
  shown(conversation: Conversation): Shown[] {
    const all = [...conversation.messages.values()].sort((a, b) => a.seq - b.seq);
    const bySeq = new Map<number, Shown>();
    const reactions = new Map<number, Map<string, Map<string, boolean>>>();
    const out: Shown[] = [];
    for (const message of all) {
      if (message.reaction) {
        const perEmoji = reactions.get(message.reaction.seq) ?? new Map<string, Map<string, boolean>>();
        reactions.set(message.reaction.seq, perEmoji);
        const who = perEmoji.get(message.reaction.emoji) ?? new Map<string, boolean>();
        perEmoji.set(message.reaction.emoji, who);
        who.set(message.sender, !message.reaction.removed);
        continue;
      }
      if (message.edits > 0) {
        const original = bySeq.get(message.edits);
        if (original && original.message.senderId === message.senderId && !message.deleted) {
          original.editedText = message.text;
        }
        continue;
      }
      const shown: Shown = { message, reactions: new Map() };
      bySeq.set(message.seq, shown);
      out.push(shown);
    }
    for (const [seq, perEmoji] of reactions) {
      const target = bySeq.get(seq);
      if (!target) {
        continue;
      }
      for (const [emoji, who] of perEmoji) {
        const names = [...who].filter(([, on]) => on).map(([name]) => name);
        if (names.length > 0) {
          target.reactions.set(emoji, names);
        }
      }
    }
    return out;
  }

  /** Marks what is shown of the selected conversation read (all devices; read receipts to the senders). */
  async markRead(conversation: Conversation): Promise<void> {
    const m = this.client.messenger;
    if (!m || !conversation.conversationId || conversation.lastSeq <= conversation.readSeq) {
      conversation.unread = 0;
      conversation.mentions = 0;
      return;
    }
    const seq = conversation.lastSeq;
    conversation.readSeq = seq;
    conversation.unread = 0;
    conversation.mentions = 0;
    this.changed();
    await m.markRead(conversation.conversationId, seq).catch((e) => this.say(e));
  }

  say(e: unknown): void {
    this.notice = e instanceof ChatError ? `${e.message} (${e.codeName})` : e instanceof Error ? e.message : String(e);
    this.changed();
  }

  // ---- events

  message(message: ChatMessage): void {
    const conversation = this.conversation(message.conversation);
    const counted = conversation.lastSeq; // the unread count from the server covers what is up to here
    const isNew = this.add(conversation, message);
    conversation.typing.delete(message.sender);
    if (isNew && !message.mine && !message.reaction && message.edits === 0 && message.seq > conversation.readSeq) {
      if (this.selected === conversation.key && document.visibilityState === "visible") {
        void this.markRead(conversation);
      } else {
        if (message.seq > counted) {
          conversation.unread++;
        }
        if (this.mentionsMe(message.text)) {
          conversation.mentions++;
        }
      }
    }
    if (!this.groups.some((g) => g.name === message.conversation.name) && message.conversation.group) {
      void this.refresh().catch(() => {});
    }
    this.changed();
  }

  rejected(conversationId: string, seq: number, reason: string): void {
    console.warn(`message ${conversationId}#${seq} not shown: ${reason}`);
    const conversation = this.byConversationId(conversationId);
    if (conversation && this.selected === conversation.key) {
      this.notice = `message #${seq} was not shown: ${reason}`;
      this.changed();
    }
  }

  presence(presence: { username: string; online: boolean }): void {
    this.online.set(presence.username, presence.online);
    this.changed();
  }

  membership(group: string, change: string, username: string, by: string): void {
    if (username === this.me && change === "invited") {
      this.notice = `${by} invited you to #${group}`;
    }
    void this.refresh().catch(() => {});
    const conversation = this.conversations.get(targetKey({ name: group, group: true }));
    if (conversation) {
      this.changed();
    }
  }

  typing(conversationId: string, username: string, typing: boolean): void {
    const conversation = this.byConversationId(conversationId);
    if (!conversation) {
      return;
    }
    if (typing) {
      conversation.typing.set(username, Date.now() + TYPING_SHOWN_MS);
      setTimeout(() => this.changed(), TYPING_SHOWN_MS + 50);
    } else {
      conversation.typing.delete(username);
    }
    this.changed();
  }

  receipt(conversationId: string, from: string, read: boolean, upToSeq: number): void {
    const conversation = this.byConversationId(conversationId);
    if (!conversation) {
      return;
    }
    const map = read ? conversation.read : conversation.delivered;
    map.set(from, Math.max(map.get(from) ?? 0, upToSeq));
    if (read) {
      conversation.delivered.set(from, Math.max(conversation.delivered.get(from) ?? 0, upToSeq));
    }
    this.changed();
  }

  deleted(conversationId: string, _senderId: bigint, seqs: number[]): void {
    const conversation = this.byConversationId(conversationId);
    if (!conversation) {
      return;
    }
    for (const seq of seqs) {
      const message = conversation.messages.get(seq);
      if (message) {
        conversation.messages.set(seq, { ...message, text: "", file: undefined, deleted: true, edits: 0, reaction: undefined });
      }
    }
    this.changed();
  }

  readElsewhere(conversationId: string, seq: number): void {
    const conversation = this.byConversationId(conversationId);
    if (conversation && seq >= conversation.lastSeq) {
      conversation.readSeq = seq;
      conversation.unread = 0;
      conversation.mentions = 0;
      this.changed();
    }
  }

  keyChanged(username: string): void {
    const conversation = this.conversations.get(targetKey({ name: username, group: false }));
    if (conversation) {
      conversation.trust = "KEY_CHANGED";
    }
    this.notice = `${username}'s identity key changed: compare safety numbers before you trust it again`;
    this.changed();
  }

  connection(state: "connected" | "reconnecting" | "disconnected", detail: string): void {
    this.connectionState = state;
    this.connectionDetail = detail;
    if (state === "connected") {
      void this.refresh().catch(() => {});
    }
    this.changed();
  }

  sessionEnded(reason: string): void {
    this.ended = reason;
    this.changed();
  }
}

/** Re-renders the calling component when the store changes. */
export function useStore(store: ChatStore): ChatStore {
  const [, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((t) => t + 1)), [store]);
  return store;
}
