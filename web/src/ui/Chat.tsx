import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { isInlineImage } from "../client/client";
import { canonical } from "../client/messenger";
import { Serial } from "../client/serial";
import { MembershipAction } from "../gen/fastchat/v1/groups_pb";
import type { GroupMember, Target } from "../client/types";
import { targetKey } from "../client/types";
import { type Conversation, type ChatStore, type Shown, useStore } from "./store";

const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

/** The chat: conversations on the left (or alone, on a phone), the open conversation on the right. */
export function Chat({ store }: { store: ChatStore }) {
  useStore(store);
  const selected = store.selected ? store.conversations.get(store.selected) : undefined;

  function open(target: Target) {
    store.conversation(target);
    store.selected = targetKey(target);
    store.notice = "";
    store.changed();
  }

  return (
    <div class={"chat" + (selected ? " has-selection" : "")}>
      {store.connectionState !== "connected" && (
        <div class="banner" role="status">
          {store.connectionState === "reconnecting" ? `Reconnecting… ${store.connectionDetail}` : `Disconnected: ${store.connectionDetail}`}
        </div>
      )}
      <Sidebar store={store} onOpen={open} />
      {selected ? <ConversationView key={selected.key} store={store} conversation={selected} /> : (
        <main class="empty" aria-label="No conversation open"><p>Choose a conversation, or start one.</p></main>
      )}
    </div>
  );
}

function Sidebar({ store, onOpen }: { store: ChatStore; onOpen: (target: Target) => void }) {
  const [newChat, setNewChat] = useState("");
  const [newGroup, setNewGroup] = useState("");
  const all = [...store.conversations.values()].sort((a, b) => b.lastSeq - a.lastSeq || a.key.localeCompare(b.key));
  const direct = all.filter((c) => !c.target.group);
  const groups = all.filter((c) => c.target.group && store.groups.some((g) => g.name === c.target.name && g.member));
  const directUnread = direct.reduce((n, c) => n + c.unread, 0);
  const groupUnread = groups.reduce((n, c) => n + c.unread, 0);

  async function startChat(e: Event) {
    e.preventDefault();
    try {
      const name = canonical(newChat);
      await store.client.messenger!.user(name);
      setNewChat("");
      onOpen({ name, group: false });
    } catch (err) {
      store.say(err);
    }
  }

  async function createGroup(e: Event) {
    e.preventDefault();
    try {
      const name = canonical(newGroup);
      await store.client.messenger!.createGroup(name);
      setNewGroup("");
      await store.refresh();
      onOpen({ name, group: true });
    } catch (err) {
      store.say(err);
    }
  }

  async function answer(group: string, accept: boolean) {
    try {
      await store.client.messenger!.answerInvitation(group, accept);
      await store.refresh();
      if (accept) {
        onOpen({ name: group, group: true });
      }
    } catch (err) {
      store.say(err);
    }
  }

  return (
    <nav class="sidebar" aria-label="Conversations">
      <header>
        <strong>{store.me}</strong>
        <button type="button" class="link" onClick={() => void store.client.logout().then(() => location.reload())}>Log out</button>
      </header>
      {store.notice && <p class="notice" role="alert">{store.notice}</p>}
      {store.invitations.length > 0 && (
        <section aria-labelledby="invitations-heading">
          <h2 id="invitations-heading">Invitations</h2>
          <ul>
            {store.invitations.map((i) => (
              <li key={i.group} class="invitation">
                <span>#{i.group} <small>from {i.invitedBy}</small></span>
                <button type="button" onClick={() => void answer(i.group, true)} aria-label={`Join #${i.group}`}>Join</button>
                <button type="button" class="secondary" onClick={() => void answer(i.group, false)} aria-label={`Decline #${i.group}`}>Decline</button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="direct-heading">
        <h2 id="direct-heading">Direct messages {directUnread > 0 && <span class="badge" aria-label={`${directUnread} unread`}>{directUnread}</span>}</h2>
        <ul>
          {direct.map((c) => <ConversationItem key={c.key} store={store} conversation={c} onOpen={onOpen} />)}
        </ul>
        <form class="inline" onSubmit={(e) => void startChat(e)}>
          <label for="new-chat" class="visually-hidden">Start a chat with</label>
          <input id="new-chat" placeholder="user name" value={newChat} onInput={(e) => setNewChat((e.target as HTMLInputElement).value)} />
          <button type="submit" disabled={!newChat}>Chat</button>
        </form>
      </section>
      <section aria-labelledby="groups-heading">
        <h2 id="groups-heading">Groups {groupUnread > 0 && <span class="badge" aria-label={`${groupUnread} unread`}>{groupUnread}</span>}</h2>
        <ul>
          {groups.map((c) => <ConversationItem key={c.key} store={store} conversation={c} onOpen={onOpen} />)}
        </ul>
        <form class="inline" onSubmit={(e) => void createGroup(e)}>
          <label for="new-group" class="visually-hidden">New group name</label>
          <input id="new-group" placeholder="new group" value={newGroup} onInput={(e) => setNewGroup((e.target as HTMLInputElement).value)} />
          <button type="submit" disabled={!newGroup}>Create</button>
        </form>
      </section>
    </nav>
  );
}

function ConversationItem({ store, conversation, onOpen }: { store: ChatStore; conversation: Conversation; onOpen: (t: Target) => void }) {
  const online = !conversation.target.group && store.online.get(conversation.target.name);
  const label = `${conversation.target.group ? "group " : ""}${conversation.target.name}${online ? ", online" : ""}`
    + (conversation.unread ? `, ${conversation.unread} unread` : "") + (conversation.mentions ? `, ${conversation.mentions} mentioning you` : "");
  return (
    <li>
      <button type="button" class={"conversation" + (store.selected === conversation.key ? " selected" : "")}
        aria-current={store.selected === conversation.key ? "page" : undefined} aria-label={label} onClick={() => onOpen(conversation.target)}>
        {!conversation.target.group && <span class={"dot" + (online ? " online" : "")} aria-hidden="true" />}
        <span class="name">{conversation.target.group ? "#" : ""}{conversation.target.name}</span>
        {conversation.mentions > 0 && <span class="badge mention" aria-hidden="true">@</span>}
        {conversation.unread > 0 && <span class="badge" aria-hidden="true">{conversation.unread}</span>}
      </button>
    </li>
  );
}

function ConversationView({ store, conversation }: { store: ChatStore; conversation: Conversation }) {
  useStore(store);
  const list = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const previousHeight = useRef(0);
  const [replyTo, setReplyTo] = useState<Shown | undefined>();
  const [editing, setEditing] = useState<Shown | undefined>();
  const [showSafety, setShowSafety] = useState(false);
  const [showMembers, setShowMembers] = useState(false);
  const shown = store.shown(conversation);
  const title = (conversation.target.group ? "#" : "") + conversation.target.name;

  useEffect(() => {
    if (!conversation.loadedOnce) {
      void store.loadOlder(conversation).then(() => store.markRead(conversation));
    } else {
      void store.markRead(conversation);
    }
  }, [conversation.key]);

  useEffect(() => {
    const onVisible = () => document.visibilityState === "visible" && void store.markRead(conversation);
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [conversation.key]);

  // Keep the view at the bottom for new messages, and in place when older ones are put above.
  useLayoutEffect(() => {
    const el = list.current;
    if (!el) {
      return;
    }
    if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    } else if (previousHeight.current && el.scrollHeight > previousHeight.current && el.scrollTop < 50) {
      el.scrollTop += el.scrollHeight - previousHeight.current;
    }
    previousHeight.current = el.scrollHeight;
  });

  function onScroll() {
    const el = list.current;
    if (!el) {
      return;
    }
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 80 && conversation.hasMore && !conversation.loading) {
      previousHeight.current = el.scrollHeight;
      void store.loadOlder(conversation);
    }
  }

  const typing = [...conversation.typing].filter(([, until]) => until > Date.now()).map(([name]) => name);
  const others = conversation.target.group ? undefined : conversation.target.name;
  const newestMine = Math.max(0, ...shown.filter((s) => s.message.mine).map((s) => s.message.seq));

  async function act(work: () => Promise<unknown>) {
    try {
      await work();
    } catch (e) {
      store.say(e);
    }
  }

  return (
    <main class="conversation-view" aria-labelledby="conversation-title">
      <header>
        <button type="button" class="back" aria-label="Back to conversations" onClick={() => {
          store.selected = undefined;
          store.changed();
        }}>←</button>
        <h2 id="conversation-title">{title}</h2>
        {others && <span class={"presence" + (store.online.get(others) ? " online" : "")}>{store.online.get(others) ? "online" : "offline"}</span>}
        {conversation.trust === "VERIFIED" && <span class="verified" title="Safety number verified">✔ verified</span>}
        <span class="spacer" />
        {others && <button type="button" class="secondary" onClick={() => setShowSafety(!showSafety)} aria-expanded={showSafety}>Safety number</button>}
        {conversation.target.group && <button type="button" class="secondary" onClick={() => setShowMembers(!showMembers)} aria-expanded={showMembers}>Members</button>}
      </header>
      {conversation.trust === "KEY_CHANGED" && others && (
        <div class="warning" role="alert">
          {others}'s identity key changed since you pinned it: messages to {others} are held. Compare safety numbers, then accept the new key.
          <button type="button" onClick={() => setShowSafety(true)}>Compare</button>
        </div>
      )}
      {showSafety && others && <SafetyNumber store={store} conversation={conversation} name={others} />}
      {showMembers && conversation.target.group && <Members store={store} group={conversation.target.name} />}
      <div class="messages" ref={list} onScroll={onScroll} role="log" aria-label={`Messages with ${title}`} aria-live="polite" tabIndex={0}>
      <ol>
        {conversation.loading && <li class="loading">Loading…</li>}
        {!conversation.hasMore && conversation.loadedOnce && <li class="start">The start of the conversation</li>}
        {shown.map((s) => (
          <MessageItem key={s.message.seq} store={store} conversation={conversation} shown={s} newestMine={newestMine}
            all={shown} onReply={() => setReplyTo(s)} onEdit={() => setEditing(s)}
            onReact={(emoji, removed) => void act(() => store.client.messenger!.react(conversation.target, s.message.seq, emoji, removed))}
            onDelete={() => void act(async () => {
              const edits = [...conversation.messages.values()].filter((m) => m.edits === s.message.seq && m.mine).map((m) => m.seq);
              await store.client.messenger!.deleteMessages(conversation.target, [s.message.seq, ...edits]);
              store.deleted(conversation.conversationId!, s.message.senderId, [s.message.seq, ...edits]);
            })} />
        ))}
      </ol>
      </div>
      <p class="typing" aria-live="polite">{typing.length > 0 ? `${typing.join(", ")} ${typing.length > 1 ? "are" : "is"} typing…` : ""}</p>
      <Composer store={store} conversation={conversation} replyTo={replyTo} editing={editing}
        onDone={() => {
          setReplyTo(undefined);
          setEditing(undefined);
          atBottom.current = true;
        }} />
    </main>
  );
}

function time(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

function MessageItem(props: {
  store: ChatStore; conversation: Conversation; shown: Shown; all: Shown[]; newestMine: number;
  onReply: () => void; onEdit: () => void; onReact: (emoji: string, removed: boolean) => void; onDelete: () => void;
}) {
  const { store, conversation, shown, all } = props;
  const m = shown.message;
  const text = shown.editedText ?? m.text;
  const answered = m.replyTo ? all.find((s) => s.message.seq === m.replyTo) : undefined;
  const mention = !m.mine && store.mentionsMe(text);
  let status = "";
  if (m.mine && m.seq === props.newestMine) {
    const read = [...conversation.read].filter(([, seq]) => seq >= m.seq).length;
    const delivered = [...conversation.delivered].filter(([, seq]) => seq >= m.seq).length;
    status = read > 0 ? (conversation.target.group ? `read by ${read}` : "read") : delivered > 0 ? (conversation.target.group ? `delivered to ${delivered}` : "delivered") : "sent";
  }
  return (
    <li class={"message" + (m.mine ? " mine" : "") + (mention ? " mention" : "")} data-seq={m.seq} tabIndex={-1}>
      <div class="meta">
        <span class="sender">{m.sender}</span>
        {m.trust === "KEY_CHANGED" && <span class="warning-tag" title="Sent with a key other than the pinned one">key changed</span>}
        <time dateTime={new Date(m.sentAtMs).toISOString()}>{time(m.sentAtMs)}</time>
        <span class="seq" aria-label={`message ${m.seq}`}>#{m.seq}</span>
      </div>
      {answered && <blockquote class="reply-to">↪ {answered.message.sender}: {(answered.editedText ?? answered.message.text).slice(0, 80) || (answered.message.file ? answered.message.file.name : "…")}</blockquote>}
      {m.deleted ? <p class="deleted">This message was deleted.</p>
        : m.file ? <FileView store={store} file={m.file} />
          : <p class="text">{highlight(text, store.me)}{shown.editedText !== undefined && <span class="edited"> (edited)</span>}</p>}
      {shown.reactions.size > 0 && (
        <ul class="reactions" aria-label="Reactions">
          {[...shown.reactions].map(([emoji, who]) => {
            const mine = who.includes(store.me);
            return (
              <li key={emoji}>
                <button type="button" class={mine ? "reaction mine" : "reaction"} aria-pressed={mine} title={who.join(", ")}
                  aria-label={`${emoji} from ${who.join(", ")}${mine ? "; take yours back" : "; react too"}`}
                  onClick={() => props.onReact(emoji, mine)}>{emoji} {who.length}</button>
              </li>
            );
          })}
        </ul>
      )}
      {status && <p class="status" aria-label={`Status: ${status}`}>{status === "sent" ? "✓ " : "✓✓ "}{status}</p>}
      {!m.deleted && (
        <div class="actions" role="group" aria-label={`Actions on message ${m.seq}`}>
          <button type="button" onClick={props.onReply}>Reply</button>
          {QUICK_REACTIONS.slice(0, 3).map((emoji) => (
            <button key={emoji} type="button" aria-label={`React with ${emoji}`} onClick={() => props.onReact(emoji, false)}>{emoji}</button>
          ))}
          {m.mine && !m.file && <button type="button" onClick={props.onEdit}>Edit</button>}
          {m.mine && <button type="button" onClick={props.onDelete}>Delete</button>}
        </div>
      )}
    </li>
  );
}

/** The text with mentions of this user marked. */
function highlight(text: string, me: string) {
  const parts = text.split(/(@[a-z0-9][a-z0-9_.-]{2,31})/gi);
  return parts.map((part, i) => (i % 2 === 1 && part.slice(1).toLowerCase() === me ? <mark key={i}>{part}</mark> : part));
}

function FileView({ store, file }: { store: ChatStore; file: NonNullable<Shown["message"]["file"]> }) {
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState("");
  const image = isInlineImage(file.mediaType);
  useEffect(() => {
    if (!image) {
      return;
    }
    let revoked = false;
    let made: string | undefined;
    store.client.fetchFile(file.fileId).then((blob) => {
      if (!revoked) {
        made = URL.createObjectURL(blob);
        setUrl(made);
      }
    }).catch((e) => setError((e as Error).message));
    return () => {
      revoked = true;
      if (made) {
        URL.revokeObjectURL(made);
      }
    };
  }, [file.fileId]);

  async function download() {
    try {
      const blob = await store.client.fetchFile(file.fileId);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = file.name.replace(/[/\\]/g, "_") || "file";
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div class="file">
      {image && url && <img src={url} alt={file.name} width={file.width || undefined} height={file.height || undefined} class="preview" />}
      {image && !url && !error && <p class="loading">Decrypting {file.name}…</p>}
      <button type="button" class="link" onClick={() => void download()}>{file.name}</button> <small>({file.mediaType}, {size(file.size)})</small>
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}

function Composer({ store, conversation, replyTo, editing, onDone }: {
  store: ChatStore; conversation: Conversation; replyTo?: Shown; editing?: Shown; onDone: () => void;
}) {
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const queue = useRef(new Serial());
  const input = useRef<HTMLTextAreaElement>(null);
  const typingSent = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);

  useLayoutEffect(() => {
    if (editing) {
      setText(editing.editedText ?? editing.message.text);
    }
    input.current?.focus();
  }, [editing, replyTo]);

  function typed(value: string) {
    setText(value);
    const now = Date.now();
    if (value && now - typingSent.current > 3000) {
      typingSent.current = now;
      void store.client.messenger?.typing(conversation.target, true).catch(() => {});
    }
  }

  /** Sends in the background, in order: the box is free for the next message at once (Enter twice sends two). */
  function send() {
    const value = text.trim();
    if (!value) {
      return;
    }
    const edit = editing;
    const reply = replyTo;
    setText("");
    typingSent.current = 0;
    onDone();
    void queue.current.run(async () => {
      try {
        const m = store.client.messenger!;
        if (edit) {
          await m.edit(conversation.target, edit.message.seq, value);
        } else {
          await m.sendText(conversation.target, value, reply?.message.seq ?? 0);
        }
        await store.loadNewest(conversation);
      } catch (e) {
        store.say(e);
        setText((current) => (current ? current : value)); // not sent: back in the box, unless something new is there
      }
    });
  }

  async function attach(files: FileList | null) {
    if (!files || files.length === 0) {
      return;
    }
    const chosen = Array.from(files);
    if (fileInput.current) {
      fileInput.current.value = "";
    }
    setSending(true);
    await queue.current.run(async () => {
      try {
        for (const file of chosen) {
          await store.client.sendFile(conversation.target, file);
        }
        await store.loadNewest(conversation);
      } catch (e) {
        store.say(e);
      } finally {
        setSending(false);
      }
    });
  }

  return (
    <form class="composer" onSubmit={(e) => {
      e.preventDefault();
      send();
    }}>
      {(replyTo || editing) && (
        <p class="composing">
          {editing ? `Editing message #${editing.message.seq}` : `Replying to ${replyTo!.message.sender} (#${replyTo!.message.seq})`}
          <button type="button" class="link" onClick={() => {
            setText("");
            onDone();
          }}>Cancel</button>
        </p>
      )}
      <label for="composer-input" class="visually-hidden">Message to {conversation.target.name}</label>
      <textarea id="composer-input" ref={input} rows={2} value={text} placeholder={`Message ${conversation.target.group ? "#" : ""}${conversation.target.name}`}
        onInput={(e) => typed((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            send();
          } else if (e.key === "Escape") {
            setText("");
            onDone();
          }
        }} />
      <label class="attach">
        <span class="visually-hidden">Attach a file</span>
        <input ref={fileInput} type="file" onChange={(e) => void attach((e.target as HTMLInputElement).files)} />
        <svg aria-hidden="true" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
          <path d="M21 11.5l-8.5 8.5a5 5 0 01-7-7L14 4.5a3.5 3.5 0 015 5L10.5 18a2 2 0 01-3-3L15 7.5" />
        </svg>
      </label>
      <button type="submit" disabled={!text.trim()}>{editing ? "Save" : "Send"}</button>
      {sending && <span role="status" class="uploading">Encrypting and uploading…</span>}
    </form>
  );
}

function SafetyNumber({ store, conversation, name }: { store: ChatStore; conversation: Conversation; name: string }) {
  const [number, setNumber] = useState("");
  const [trust, setTrust] = useState(conversation.trust);
  const [error, setError] = useState("");
  useEffect(() => {
    store.client.messenger!.verification(name).then((v) => {
      setNumber(v.safetyNumber);
      setTrust(v.trust);
    }).catch((e) => setError((e as Error).message));
  }, [name]);

  async function mark(verified: boolean) {
    try {
      const m = store.client.messenger!;
      if (verified) {
        await m.markVerified(name);
      } else {
        await m.accept(name);
      }
      conversation.trust = await m.trustOf(name);
      setTrust(conversation.trust);
      store.changed();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <section class="safety" aria-label={`Safety number with ${name}`}>
      <p>Compare this number with {name}'s, in person or on a call you trust. If they match, no one is in between.</p>
      <p class="number" aria-label="Safety number">
        {number ? number.split(/\s+/).map((group, i) => <span key={i}>{group} </span>) : "…"}
      </p>
      <p>Status: {trust === "VERIFIED" ? "verified" : trust === "KEY_CHANGED" ? "the key changed since it was pinned" : "pinned on first use, not verified"}</p>
      {trust !== "VERIFIED" && <button type="button" onClick={() => void mark(true)}>They match: mark verified</button>}
      {trust === "KEY_CHANGED" && <button type="button" class="secondary" onClick={() => void mark(false)}>Accept the new key</button>}
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}

function Members({ store, group }: { store: ChatStore; group: string }) {
  const [members, setMembers] = useState<GroupMember[]>([]);
  const [invite, setInvite] = useState("");
  const [error, setError] = useState("");
  const me = store.me;
  const admin = members.find((m) => m.username === me)?.admin ?? false;

  async function load() {
    try {
      setMembers(await store.client.messenger!.groupMembers(group));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  useEffect(() => {
    void load();
  }, [group]);

  async function change(action: MembershipAction, subject?: string) {
    setError("");
    try {
      await store.client.messenger!.changeMembership(group, action, subject);
      await load();
      await store.refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <section class="members" aria-label={`Members of #${group}`}>
      <ul>
        {members.map((m) => (
          <li key={m.username}>
            <span class={"dot" + (m.online ? " online" : "")} aria-hidden="true" />
            {m.username}{m.admin ? " (admin)" : ""}{m.online ? <span class="visually-hidden">, online</span> : ""}
            {admin && m.username !== me && (
              <>
                {!m.admin && <button type="button" class="link" onClick={() => void change(MembershipAction.PROMOTE, m.username)}>Make admin</button>}
                <button type="button" class="link" onClick={() => void change(MembershipAction.REMOVE, m.username)}>Remove</button>
              </>
            )}
          </li>
        ))}
      </ul>
      {admin && (
        <form class="inline" onSubmit={(e) => {
          e.preventDefault();
          void change(MembershipAction.INVITE, invite).then(() => setInvite(""));
        }}>
          <label for="invite" class="visually-hidden">Invite a user</label>
          <input id="invite" placeholder="user name" value={invite} onInput={(e) => setInvite((e.target as HTMLInputElement).value)} />
          <button type="submit" disabled={!invite}>Invite</button>
        </form>
      )}
      <button type="button" class="secondary" onClick={() => void change(MembershipAction.LEAVE)}>Leave #{group}</button>
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}
