// The web client end to end, in Debian's Chromium driven by Playwright, against a real FastChat server (the packaged
// jar) and the real command-line client: two browser users (alice, bob) and one CLI user (carol). It signs up, sends
// DMs both ways between browser and CLI, makes a group, shares an image, checks receipts and typing, restarts the
// server (the pages reconnect by themselves, and no message shows twice), checks accessibility with axe-core, runs the
// cryptography's test vectors inside Chromium, takes screenshots, and measures bundle size, time to interactive and
// browser-to-browser latency.
//
//   node e2e/run.mjs     (FASTCHAT_JAVA, FASTCHAT_JAR, CHROMIUM and E2E_OUT may point elsewhere; see below)
//
// Every wait is bounded; the script exits 0 when every step held, 1 at the first that did not.
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";
import { build } from "vite";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(web, "..");
const java = process.env.FASTCHAT_JAVA ?? "java";
const jar = process.env.FASTCHAT_JAR ?? join(root, "app/target/fastchat.jar");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const out = process.env.E2E_OUT ?? join(web, "target/e2e");
const shots = join(out, "screenshots");
const STEP_MS = 20_000;

rmSync(out, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

const started = Date.now();
function log(message) {
  console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// ---- the server and the CLI

const port = await freePort();
const address = `127.0.0.1:${port}`;
const url = `https://${address}/`;
const data = join(out, "data");
let server;

function startServer() {
  return new Promise((resolveStart, reject) => {
    const child = spawn(java, ["--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-jar", jar, "server", "--listen", address, "--data", data], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FASTCHAT_EXEMPT_ADDRESSES: "127.0.0.1", FASTCHAT_SHUTDOWN_GRACE: "1s" },
    });
    let output = "";
    let ready = false;
    const timer = setTimeout(() => reject(new Error(`the server did not start within 30 s:\n${output}`)), 30_000);
    const seen = (chunk) => {
      appendFileSync(join(out, "server.log"), chunk);
      if (ready) {
        return;
      }
      output += chunk;
      if (output.includes("ready on")) {
        ready = true;
        clearTimeout(timer);
        resolveStart(child);
      }
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (ready) {
        log(`the server exited unexpectedly (${code ?? signal}): see ${join(out, "server.log")}`);
      }
      reject(new Error(`the server exited (${code ?? signal}):\n${output}`));
    });
  });
}

function stopServer() {
  const stopping = server;
  return new Promise((resolveStop) => {
    if (!stopping || stopping.exitCode !== null || stopping.signalCode !== null) {
      resolveStop();
      return;
    }
    const killer = setTimeout(() => stopping.kill("SIGKILL"), 10_000);
    stopping.removeAllListeners("exit");
    stopping.on("exit", () => {
      clearTimeout(killer);
      resolveStop();
    });
    stopping.kill("SIGTERM");
  });
}

function cli(password, ...args) {
  const result = spawnSync(java, ["--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+UseCompactObjectHeaders", "-jar", jar,
    ...args.slice(0, 1), "--server", address, ...args.slice(1)], {
    env: { ...process.env, FASTCHAT_PASSWORD: password ?? "", XDG_CONFIG_HOME: join(out, "cli-config") },
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.status !== 0) {
    throw new Error(`fastchat ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

// ---- checks

function check(condition, message) {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
}

const metrics = {};
let browser;

async function signUp(context, name, viewport) {
  const page = await context.newPage();
  if (viewport) {
    await page.setViewportSize(viewport);
  }
  page.on("pageerror", (e) => log(`[${name}] page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") {
      log(`[${name}] console: ${m.text()}`);
    }
  });
  const t0 = Date.now();
  await page.goto(url);
  await page.getByRole("button", { name: "Log in" }).waitFor();
  const interactive = Date.now() - t0;
  await page.getByLabel("User name").fill(name);
  await page.getByLabel("Password").fill(`correct horse ${name}`);
  const t1 = Date.now();
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: STEP_MS });
  return { page, interactive, signUpMs: Date.now() - t1 };
}

async function openChat(page, name) {
  await page.getByLabel("Start a chat with").fill(name);
  await page.getByRole("button", { name: "Chat", exact: true }).click();
  await page.getByRole("heading", { name }).waitFor({ timeout: STEP_MS });
}

async function openConversation(page, label) {
  await page.getByRole("button", { name: new RegExp(`^${label}`) }).click({ timeout: STEP_MS });
  await page.getByRole("log").waitFor({ timeout: STEP_MS });
}

async function send(page, text) {
  await page.locator("#composer-input").fill(text);
  await page.locator("#composer-input").press("Enter");
}

function messageWith(page, text) {
  return page.locator("li.message", { hasText: text });
}

async function axe(page, what) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of results.violations) {
    log(`axe (${what}): ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} nodes)`);
  }
  check(serious.length === 0, `no serious accessibility violations on ${what}: ${serious.map((v) => v.id).join(", ")}`);
  return results.violations.length;
}

/**
 * The test vectors, bundled and run inside a page of the server (a secure context, as WebCrypto requires). The page's
 * Content-Security-Policy forbids inline scripts (rightly): this one test context bypasses it to add the bundle.
 */
async function vectorsInChromium() {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(url);
  const bundled = await build({
    configFile: false,
    logLevel: "silent",
    root: web,
    resolve: { alias: { crypto: join(web, "src/node-crypto.ts") } },
    build: { write: false, minify: false, lib: { entry: join(web, "test/vectorChecks.ts"), formats: ["iife"], name: "FastChatVectors" } },
  });
  const code = (Array.isArray(bundled) ? bundled[0] : bundled).output[0].code;
  await page.addScriptTag({ content: code });
  const results = await page.evaluate(async () => {
    const results = [];
    for (const { name, run } of window.FastChatVectors.checks) {
      try {
        await run();
        results.push({ name, ok: true });
      } catch (e) {
        results.push({ name, ok: false, error: String(e && e.message) });
      }
    }
    return results;
  });
  await context.close();
  return results;
}

function bundleSize() {
  const dir = join(web, "target/classes/fastchat/web");
  let raw = 0;
  let gzipped = 0;
  const walk = (d) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) {
        walk(path);
      } else {
        const bytes = readFileSync(path);
        raw += bytes.length;
        gzipped += gzipSync(bytes, { level: 9 }).length;
      }
    }
  };
  walk(dir);
  return { rawBytes: raw, gzipBytes: gzipped };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A small PNG made in the page (so the test needs no image file). */
async function pngFile(page) {
  const bytes = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(64, 48);
    const g = canvas.getContext("2d");
    g.fillStyle = "#0b5cad";
    g.fillRect(0, 0, 64, 48);
    g.fillStyle = "#ffcc00";
    g.fillRect(16, 12, 32, 24);
    const blob = await canvas.convertToBlob({ type: "image/png" });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return { name: "square.png", mimeType: "image/png", buffer: Buffer.from(bytes) };
}

// ---- the run

async function main() {
  log(`server ${address}, jar ${jar}`);
  server = await startServer();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const contextOptions = { ignoreHTTPSErrors: true, viewport: { width: 1100, height: 760 } };
  const aliceContext = await browser.newContext(contextOptions);
  const bobContext = await browser.newContext(contextOptions);

  metrics.bundle = bundleSize();
  log(`bundle ${metrics.bundle.rawBytes} bytes, ${metrics.bundle.gzipBytes} gzipped`);

  const a = await signUp(aliceContext, "alice");
  const alice = a.page;
  await alice.screenshot({ path: join(shots, "chat-empty.png") });
  metrics.timeToInteractiveMs = a.interactive;
  metrics.signUpMs = a.signUpMs;
  log(`alice signed up (page interactive in ${a.interactive} ms, sign-up with Argon2id ${a.signUpMs} ms)`);

  const vectors = await vectorsInChromium();
  for (const r of vectors.filter((r) => !r.ok)) {
    log(`vector check failed in Chromium: ${r.name}: ${r.error}`);
  }
  check(vectors.length >= 14 && vectors.every((r) => r.ok), `all ${vectors.length} vector checks pass in Chromium`);
  log(`${vectors.length} test vector checks pass in Chromium`);

  // The page's Content-Security-Policy keeps script injected into it from running; what the browser keeps is sealed.
  const blocked = await alice.evaluate(() => new Promise((resolveBlocked) => {
    window.__injected = false;
    const script = document.createElement("script");
    script.textContent = "window.__injected = true";
    document.head.appendChild(script);
    setTimeout(() => resolveBlocked(!window.__injected), 200);
  }));
  check(blocked, "an inline script injected into the page does not run");
  const vault = await alice.evaluate(() => new Promise((resolveVault, reject) => {
    const request = indexedDB.open("fastchat");
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const all = request.result.transaction("accounts").objectStore("accounts").getAll();
      all.onsuccess = () => resolveVault(all.result.map((r) => ({ fields: Object.keys(r).sort().join(","),
        text: new TextDecoder("latin1").decode(r.sealed) })));
    };
  }));
  check(vault.length === 1 && vault[0].fields === "kdf,nonce,sealed" && !/Private|pins|alice/.test(vault[0].text),
    `the keys are kept in IndexedDB sealed (${JSON.stringify(vault.map((v) => v.fields))})`);
  log("an injected inline script does not run; the keys in IndexedDB are sealed");

  const b = await signUp(bobContext, "bob");
  const bob = b.page;
  cli("correct horse carol", "register", "--user", "carol");
  log("bob signed up in the browser, carol with the CLI");

  // A DM, browser to browser, with receipts and typing.
  await openChat(alice, "bob");
  await send(alice, "hello bob, from alice's browser");
  await openConversation(bob, "alice");
  await messageWith(bob, "hello bob, from alice's browser").waitFor({ timeout: STEP_MS });
  await messageWith(alice, "hello bob").locator(".status", { hasText: "read" }).waitFor({ timeout: STEP_MS });
  await alice.locator(".presence.online").waitFor({ timeout: STEP_MS });
  log("alice's DM reached bob, and alice sees it read, and bob online");
  await bob.locator("#composer-input").pressSequentially("typing", { delay: 20 });
  await alice.getByText("bob is typing").waitFor({ timeout: STEP_MS });
  await bob.locator("#composer-input").press("Enter");
  await messageWith(alice, "typing").waitFor({ timeout: STEP_MS });
  log("alice saw bob typing, then his message");

  // A reply, a reaction, an edit.
  await messageWith(bob, "hello bob").focus();
  await messageWith(bob, "hello bob").getByRole("button", { name: "Reply" }).click();
  await send(bob, "a reply to that");
  await messageWith(alice, "a reply to that").locator(".reply-to", { hasText: "alice" }).waitFor({ timeout: STEP_MS });
  await messageWith(alice, "a reply to that").focus();
  await messageWith(alice, "a reply to that").getByRole("button", { name: "React with 👍" }).click();
  await messageWith(bob, "a reply to that").getByRole("button", { name: /👍 from alice/ }).waitFor({ timeout: STEP_MS });
  await messageWith(bob, "a reply to that").focus();
  await messageWith(bob, "a reply to that").getByRole("button", { name: "Edit" }).click();
  await bob.getByText(/^Editing message #\d+/).waitFor({ timeout: STEP_MS });
  await bob.waitForFunction(() => document.getElementById("composer-input")?.value === "a reply to that", null, { timeout: STEP_MS });
  await bob.locator("#composer-input").fill("a reply to that, edited");
  await bob.locator("#composer-input").press("Enter");
  await messageWith(alice, "a reply to that, edited").locator(".edited").waitFor({ timeout: STEP_MS });
  log("a reply, a reaction and an edit went across");

  // Latency, browser to browser: from the key press in alice's page to the text in bob's DOM (a MutationObserver notes
  // the moment; both pages read one clock).
  await bob.evaluate(() => {
    window.__seen = {};
    new MutationObserver(() => {
      for (const e of document.querySelectorAll("li.message .text")) {
        if (e.textContent.startsWith("latency probe") && !(e.textContent in window.__seen)) {
          window.__seen[e.textContent] = Date.now();
        }
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  const latencies = [];
  for (let i = 0; i < 20; i++) {
    const text = `latency probe ${i}`;
    await alice.locator("#composer-input").fill(text);
    const sentAt = await alice.evaluate(() => Date.now());
    await alice.locator("#composer-input").press("Enter");
    const at = await (await bob.waitForFunction((t) => window.__seen[t] ?? false, text, { timeout: STEP_MS })).jsonValue();
    latencies.push(at - sentAt);
  }
  metrics.dmLatencyMs = { median: percentile(latencies, 50), p95: percentile(latencies, 95), max: Math.max(...latencies), samples: latencies.length };
  log(`browser-to-browser DM latency: median ${metrics.dmLatencyMs.median} ms, p95 ${metrics.dmLatencyMs.p95} ms`);

  // Browser and CLI, both ways.
  cli("correct horse carol", "send", "--user", "carol", "--to", "alice", "hi alice, from carol's terminal");
  await openConversation(alice, "carol");
  await messageWith(alice, "hi alice, from carol's terminal").waitFor({ timeout: STEP_MS });
  await send(alice, "hi carol, from alice's browser");
  await messageWith(alice, "hi carol, from alice's browser").waitFor({ timeout: STEP_MS });
  const carolRead = cli("correct horse carol", "read", "--user", "carol", "--with", "alice");
  check(carolRead.includes("hi carol, from alice's browser"), `the CLI reads the browser's DM:\n${carolRead}`);
  log("DMs went between the browser and the CLI both ways");

  // A group: alice creates it, invites bob (browser) and carol (CLI); all three talk.
  await alice.getByLabel("New group name").fill("team");
  await alice.getByRole("button", { name: "Create", exact: true }).click();
  await alice.getByRole("heading", { name: "#team" }).waitFor({ timeout: STEP_MS });
  await alice.getByRole("button", { name: "Members" }).click();
  for (const invitee of ["bob", "carol"]) {
    await alice.getByLabel("Invite a user").fill(invitee);
    await alice.getByRole("button", { name: "Invite" }).click();
    await alice.waitForFunction(() => document.getElementById("invite")?.value === "", null, { timeout: STEP_MS });
  }
  await bob.getByRole("button", { name: "Join #team" }).click({ timeout: STEP_MS });
  await bob.getByRole("heading", { name: "#team" }).waitFor({ timeout: STEP_MS });
  cli("correct horse carol", "group", "accept", "--user", "carol", "team");
  await alice.getByRole("button", { name: "Members" }).click();
  await alice.getByRole("button", { name: "Members" }).click();
  await alice.locator(".members li", { hasText: "carol" }).waitFor({ timeout: STEP_MS });
  await openConversation(bob, "alice");
  await send(alice, "welcome to #team, @bob and @carol");
  await bob.getByRole("heading", { name: /Groups/ }).getByLabel("1 unread").waitFor({ timeout: STEP_MS });
  await bob.getByRole("button", { name: /^group team, 1 unread, 1 mentioning you/ }).click({ timeout: STEP_MS });
  await messageWith(bob, "welcome to #team").locator("mark", { hasText: "@bob" }).waitFor({ timeout: STEP_MS });
  cli("correct horse carol", "send", "--user", "carol", "--group", "team", "carol is here too");
  await messageWith(bob, "carol is here too").waitFor({ timeout: STEP_MS });
  const carolGroup = cli("correct horse carol", "read", "--user", "carol", "--group", "team");
  check(carolGroup.includes("welcome to #team"), `the CLI reads the group message:\n${carolGroup}`);
  await alice.screenshot({ path: join(shots, "group.png") });
  log("a group of two browsers and a CLI talks");

  // The admin's actions, each a signed statement: alice makes bob an admin, then removes carol.
  await alice.getByRole("button", { name: "Members" }).click();
  await alice.getByRole("button", { name: "Members" }).click();
  await alice.locator(".members li", { hasText: "bob" }).getByRole("button", { name: "Make admin" }).click();
  await alice.locator(".members li", { hasText: "bob (admin)" }).waitFor({ timeout: STEP_MS });
  await alice.locator(".members li", { hasText: "carol" }).getByRole("button", { name: "Remove" }).click();
  await alice.locator(".members li", { hasText: "carol" }).waitFor({ state: "detached", timeout: STEP_MS });
  await bob.getByRole("button", { name: "Members" }).click();
  await bob.getByLabel("Invite a user").waitFor({ timeout: STEP_MS }); // an admin now: he may invite
  check(await bob.locator(".members li", { hasText: "carol" }).count() === 0, "bob's list, checked against the signed chain, has no carol");
  await bob.getByRole("button", { name: "Members" }).click();
  await alice.getByRole("button", { name: "Members" }).click();
  log("alice made bob an admin and removed carol; bob's list agrees");

  // A file: an image, shown decrypted inline.
  await openConversation(alice, "bob");
  await alice.locator("input[type=file]").setInputFiles(await pngFile(alice));
  await openConversation(bob, "alice");
  const image = bob.locator("img.preview[alt='square.png']");
  await image.waitFor({ timeout: STEP_MS });
  await bob.waitForFunction(() => {
    const img = document.querySelector("img.preview[alt='square.png']");
    return img && img.complete && img.naturalWidth === 64 && img.src.startsWith("blob:");
  }, null, { timeout: STEP_MS });
  await bob.screenshot({ path: join(shots, "dm-with-image.png") });
  log("an image went across, decrypted in bob's browser");

  // Safety numbers: both sides see the same number; bob marks alice verified.
  await bob.getByRole("button", { name: "Safety number" }).click();
  await bob.getByLabel("Safety number", { exact: true }).filter({ hasText: /\d{5}/ }).waitFor({ timeout: STEP_MS });
  const numberBob = (await bob.getByLabel("Safety number", { exact: true }).textContent()).trim().replace(/\s+/g, " ");
  await alice.getByRole("button", { name: "Safety number" }).click();
  await alice.getByLabel("Safety number", { exact: true }).filter({ hasText: /\d{5}/ }).waitFor({ timeout: STEP_MS });
  const numberAlice = (await alice.getByLabel("Safety number", { exact: true }).textContent()).trim().replace(/\s+/g, " ");
  check(numberBob === numberAlice && /^\d{5}( \d{5}){11}$/.test(numberAlice), `both see one safety number (${numberAlice} / ${numberBob})`);
  await bob.getByRole("button", { name: "They match: mark verified" }).click();
  await bob.getByText("✔ verified").waitFor({ timeout: STEP_MS });
  await bob.screenshot({ path: join(shots, "safety-number.png") });
  log("the safety numbers match; bob verified alice");

  // Accessibility, in the wide and in the phone layout; and keyboard only: Tab to the composer and send.
  metrics.axeViolationsChat = await axe(bob, "the chat");
  const phoneContext = await browser.newContext({ ...contextOptions, viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true });
  const phone = await phoneContext.newPage();
  await phone.goto(url);
  metrics.axeViolationsSignIn = await axe(phone, "the sign-in page");
  await phone.screenshot({ path: join(shots, "sign-in-phone.png") });
  await phone.getByLabel("User name").fill("dave");
  await phone.getByLabel("Password").fill("correct horse dave");
  await phone.getByRole("button", { name: "Create account" }).click();
  await phone.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: STEP_MS });
  await phone.getByLabel("Start a chat with").focus();
  await phone.keyboard.type("alice");
  await phone.keyboard.press("Enter");
  await phone.getByRole("heading", { name: "alice" }).waitFor({ timeout: STEP_MS });
  check(!(await phone.getByRole("navigation", { name: "Conversations" }).isVisible()), "on a phone the conversation takes the screen alone");
  await phone.keyboard.press("Tab");
  for (let i = 0; i < 12 && !(await phone.evaluate(() => document.activeElement?.id === "composer-input")); i++) {
    await phone.keyboard.press("Tab");
  }
  check(await phone.evaluate(() => document.activeElement?.id === "composer-input"), "the composer is reached with Tab");
  await phone.keyboard.type("sent with the keyboard alone");
  await phone.keyboard.press("Enter");
  await openConversation(alice, "dave");
  await messageWith(alice, "sent with the keyboard alone").waitFor({ timeout: STEP_MS });
  metrics.axeViolationsPhone = await axe(phone, "the phone layout");
  await phone.screenshot({ path: join(shots, "chat-phone.png") });
  log("keyboard only, on a phone layout; axe-core finds no serious violations");

  // The server restarts: the pages reconnect by themselves and show nothing twice.
  await openConversation(alice, "bob");
  await openConversation(bob, "alice");
  await stopServer();
  await alice.locator(".banner").filter({ hasText: /Reconnecting|Disconnected/ }).waitFor({ timeout: STEP_MS });
  await alice.screenshot({ path: join(shots, "reconnecting.png") });
  server = await startServer();
  await alice.locator(".banner").waitFor({ state: "detached", timeout: 60_000 });
  await bob.locator(".banner").waitFor({ state: "detached", timeout: 60_000 });
  await send(bob, "after the restart");
  await messageWith(alice, "after the restart").waitFor({ timeout: STEP_MS });
  for (const text of ["hello bob, from alice's browser", "after the restart", "latency probe 7"]) {
    const count = await alice.evaluate((t) => [...document.querySelectorAll("li.message .text")].filter((e) => e.textContent === t).length, text);
    check(count === 1, `"${text}" shows once in alice's page (${count})`);
  }
  const seqs = await alice.evaluate(() => [...document.querySelectorAll("li.message")].map((e) => e.getAttribute("data-seq")));
  check(new Set(seqs).size === seqs.length && seqs.length >= 25, `every message shows once (${seqs.length} shown)`);
  log("after a server restart both pages reconnected; every message shows once");

  await alice.screenshot({ path: join(shots, "dm.png") });

  // carol replaces her keys with the CLI: alice is warned at once, and her messages to carol are held.
  cli("correct horse carol", "keys", "reset", "--user", "carol");
  await alice.getByText("carol's identity key changed").waitFor({ timeout: STEP_MS });
  await openConversation(alice, "carol");
  await alice.locator(".warning", { hasText: "identity key changed" }).waitFor({ timeout: STEP_MS });
  await send(alice, "this must not go to a changed key");
  await alice.getByText(/UNTRUSTED_KEY/).waitFor({ timeout: STEP_MS });
  await alice.locator(".warning").getByRole("button", { name: "Compare" }).click();
  await alice.getByLabel("Safety number", { exact: true }).filter({ hasText: /\d{5}/ }).waitFor({ timeout: STEP_MS });
  const inBrowser = (await alice.getByLabel("Safety number", { exact: true }).textContent()).replace(/\D/g, "");
  const inTerminal = cli("correct horse carol", "keys", "verify", "--user", "carol", "alice").split("\n")[1].replace(/\D/g, "");
  check(inBrowser.length === 60 && inBrowser === inTerminal, `the browser and the CLI show one safety number (${inBrowser} / ${inTerminal})`);
  await alice.getByRole("button", { name: "They match: mark verified" }).click();
  await alice.locator(".warning").waitFor({ state: "detached", timeout: STEP_MS });
  await send(alice, "carol's new key is verified");
  check(cli("correct horse carol", "read", "--user", "carol", "--with", "alice").includes("carol's new key is verified"), "once verified, carol's new key gets messages");
  log("carol's new key: alice is warned, her message held, the safety number matches the CLI's; verified, it goes");

  // More than a page of history, then alice logs in on another browser: keys from the backup, history scrolled back.
  await openConversation(bob, "alice");
  await openConversation(alice, "bob");
  for (let i = 0; i < 30; i++) {
    await send(bob, `history filler ${i}`);
  }
  await messageWith(alice, "history filler 29").waitFor({ timeout: STEP_MS });
  cli("correct horse carol", "send", "--user", "carol", "--to", "alice", "unread one");
  cli("correct horse carol", "send", "--user", "carol", "--to", "alice", "unread two");
  await alice.getByRole("button", { name: /^carol.*, 2 unread/ }).waitFor({ timeout: STEP_MS });
  const laptop = await browser.newContext(contextOptions);
  const again = await laptop.newPage();
  await again.goto(url);
  await again.getByLabel("User name").fill("alice");
  await again.getByLabel("Password").fill("correct horse alice");
  await again.getByRole("button", { name: "Log in" }).click();
  await again.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: STEP_MS });
  await again.getByRole("button", { name: /^carol.*, 2 unread/ }).waitFor({ timeout: STEP_MS }); // counted once, not twice
  await again.getByRole("heading", { name: /Direct messages/ }).getByLabel("2 unread").waitFor({ timeout: STEP_MS });
  await openConversation(again, "bob");
  await messageWith(again, "history filler 29").waitFor({ timeout: STEP_MS });
  check(await messageWith(again, "hello bob, from alice's browser").count() === 0, "the first page is the newest 50 messages");
  for (let i = 0; i < 20 && (await again.locator("li.message .text", { hasText: /^hello bob, from alice's browser$/ }).count()) === 0; i++) {
    await again.locator(".messages").evaluate((el) => {
      el.scrollTop = 0;
    });
    await again.waitForTimeout(250);
  }
  await again.locator("li.message .text", { hasText: /^hello bob, from alice's browser$/ }).waitFor({ timeout: STEP_MS });
  await again.getByText("The start of the conversation").waitFor({ timeout: STEP_MS });
  await again.getByRole("button", { name: "Safety number" }).click();
  await again.getByLabel("Safety number", { exact: true }).filter({ hasText: /\d{5}/ }).waitFor({ timeout: STEP_MS });
  log("alice logged in on another browser: keys from the backup, the history scrolled back to its start");

  // A push in a conversation this browser has not opened yet: shown at once, the two unread before it fetched after
  // it, and each counted once.
  cli("correct horse carol", "send", "--user", "carol", "--to", "alice", "unread three, after the log-in");
  await again.getByRole("button", { name: /^carol.*, 3 unread/ }).waitFor({ timeout: STEP_MS });
  await openConversation(again, "carol");
  await messageWith(again, "unread three, after the log-in").waitFor({ timeout: STEP_MS });
  const carolTexts = await again.locator("li.message .text").allTextContents();
  const order = ["unread one", "unread two", "unread three, after the log-in"].map((t) => carolTexts.indexOf(t));
  check(order.every((i) => i >= 0) && order[0] < order[1] && order[1] < order[2], `the backlog shows before the new message, once each (${order})`);
  check(carolTexts.filter((t) => t === "unread one").length === 1, "a backlog message shows once");
  log("a push after the log-in: shown, its conversation's backlog fetched in the background, in order, counted once");

  metrics.totalSeconds = (Date.now() - started) / 1000;
  writeFileSync(join(out, "metrics.json"), JSON.stringify(metrics, null, 2) + "\n");
  log(`metrics: ${JSON.stringify(metrics)}`);
}

let failed = false;
try {
  await main();
  log("all steps passed");
} catch (e) {
  failed = true;
  console.error(e);
  try {
    for (const context of browser?.contexts() ?? []) {
      for (const [i, page] of context.pages().entries()) {
        await page.screenshot({ path: join(shots, `failure-${browser.contexts().indexOf(context)}-${i}.png`) });
      }
    }
  } catch {
    // the screenshots are a help, not a requirement
  }
} finally {
  await browser?.close().catch(() => {});
  await stopServer();
}
process.exit(failed ? 1 : 0);
