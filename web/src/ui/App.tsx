import { useMemo, useState } from "preact/hooks";
import { WebChatClient } from "../client/client";
import { Connection } from "../client/connection";
import { Chat } from "./Chat";
import { ChatStore, useStore } from "./store";

/** The page: signing in, then the chat. */
export function App() {
  const store = useMemo(() => new ChatStore(), []);
  const client = useMemo(() => {
    const c = new WebChatClient(Connection.defaultUrl(), store);
    store.client = c;
    return c;
  }, [store]);
  const [signedIn, setSignedIn] = useState(false);
  useStore(store);

  if (!signedIn || store.ended) {
    return <SignIn client={client} store={store} onSignedIn={() => setSignedIn(true)} />;
  }
  return <Chat store={store} />;
}

function SignIn({ client, store, onSignedIn }: { client: WebChatClient; store: ChatStore; onSignedIn: () => void }) {
  const [username, setUsername] = useState(localStorage.getItem("fastchat.user") ?? "");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState<"" | "login" | "register">("");
  const [error, setError] = useState(store.ended);

  async function submit(kind: "login" | "register") {
    setBusy(kind);
    setError("");
    try {
      if (kind === "register") {
        await client.register(username, password);
      } else {
        await client.login(username, password);
      }
      localStorage.setItem("fastchat.user", client.session!.username);
      store.ended = "";
      await store.refresh();
      await client.catchUp();
      onSignedIn();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy("");
    }
  }

  return (
    <main class="signin">
      <h1>FastChat</h1>
      <p class="hint">End-to-end encrypted: your password never leaves this browser, and your keys leave it only sealed.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit("login");
        }}
      >
        <label for="username">User name</label>
        <input id="username" name="username" autocomplete="username" required value={username}
          onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        <div class="buttons">
          <button type="submit" disabled={!!busy}>{busy === "login" ? "Logging in…" : "Log in"}</button>
          <button type="button" class="secondary" disabled={!!busy || !username || !password} onClick={() => void submit("register")}>
            {busy === "register" ? "Creating…" : "Create account"}
          </button>
        </div>
        {error && <p role="alert" class="error">{error}</p>}
      </form>
    </main>
  );
}
