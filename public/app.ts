// The web client: wires the SDK's events to the page's model and views. No logic of its own
// beyond that wiring; see conversations.ts (model), dispatch.ts (input), views/ (rendering),
// name.ts and saved.ts (what the browser remembers), errors.ts (wording of failures).
import { HubbubClient, HubbubError, normalizeRoom, type Member } from "hubbub/client";
import { createComposer } from "./composer.ts";
import { createConversations, roomKey, type Conversation, type PendingLine } from "./conversations.ts";
import { dispatch } from "./dispatch.ts";
import { byId } from "./dom.ts";
import { createEditDialog } from "./edit-dialog.ts";
import { human } from "./errors.ts";
import { createNameDialog, storeName, storeResume, storedName, storedResume } from "./name.ts";
import { forgetToken, storePlaces, storedPlaces, takeToken } from "./saved.ts";
import { installTheme } from "./theme.ts";
import { createDrawers } from "./views/drawers.ts";
import { mentions } from "./views/markup.ts";
import { createTimeline } from "./views/messages.ts";
import type { LineAction } from "./views/stored.ts";
import { renderPeople } from "./views/people.ts";
import { renderSidebar } from "./views/sidebar.ts";
import { createStatusView } from "./views/status.ts";
import { installSwitcher } from "./views/switcher.ts";
import { createToasts } from "./views/toasts.ts";
import { typingText } from "./views/typing.ts";

const ui = {
  rooms: byId<HTMLUListElement>("rooms"),
  dms: byId<HTMLUListElement>("dms"),
  users: byId<HTMLUListElement>("users"),
  title: byId("title"),
  leave: byId<HTMLButtonElement>("leave"),
  rename: byId<HTMLButtonElement>("rename"),
  retry: byId<HTMLButtonElement>("retry"),
  empty: byId("empty"),
  typing: byId("typing"),
  peopleToggle: byId<HTMLButtonElement>("open-people"),
};
/** Until the first welcome the server's limit is unknown; this is its default. */
const DEFAULT_MAX_TEXT = 4000;
/** Older messages fetched per scroll to the top (the server's default page). */
const OLDER_PAGE = 50;

let client: HubbubClient | null = null;
let renderQueued = false;
/**
 * The people list is rebuilt only when a roster changed or another room is shown, not on every
 * message: sorting and rebuilding a big room's list per message was O(N log N) each time.
 */
let rosterVersion = 0;
let peopleShown = "";
const queueRender = () => {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(render);
};
const me = () => ({ id: client?.id ?? null, name: client?.name ?? null });
const model = createConversations(queueRender, me, (room) => client?.messages(room) ?? [], mentions);
const toasts = createToasts(byId("toasts"));
/** Shows a failure, worded for people. */
const report = (err: unknown) => toasts.show(human(err));
const names = createNameDialog();
const edits = createEditDialog();
const drawers = createDrawers();
const status = createStatusView(byId("status"));
const resend = new WeakMap<PendingLine, () => Promise<unknown>>();
const loadingOlder = new Set<string>();
const timeline = createTimeline(byId<HTMLOListElement>("messages"), byId<HTMLButtonElement>("jump"), {
  me,
  atBottom: () => markRead(),
  needOlder: (c) => loadOlder(c),
  retry: (c, line) => {
    const send = resend.get(line);
    model.settle(c, line);
    if (send) pending(c, line.text, line.action, send);
  },
  discard: (c, line) => model.settle(c, line),
  act,
});
const composer = createComposer(byId<HTMLFormElement>("composer"), byId<HTMLTextAreaElement>("input"), byId("counter"), {
  maxLength: () => client?.limits?.maxTextLength ?? DEFAULT_MAX_TEXT,
  typing: () => {
    const conv = model.active;
    if (conv?.type === "room") client?.notifyTyping(conv.name);
  },
  submit: (line) => {
    if (!client) return Promise.reject(new Error("not connected"));
    return dispatch(line, { client, model, open, notice, pending }).catch((err: unknown) => {
      report(err);
      throw err;
    });
  },
});

function render(): void {
  renderQueued = false;
  const conv = model.active;
  if (conv) model.settleDivider(conv);
  renderSidebar(ui.rooms, ui.dms, model, open);
  timeline.render(conv, conv ? model.lines(conv) : []);
  ui.empty.hidden = conv !== undefined;
  composer.enabled = conv !== undefined;
  ui.title.textContent = conv ? (conv.type === "room" ? `#${conv.name}` : `@${conv.name}`) : "No conversation";
  ui.leave.textContent = conv?.type === "dm" ? "Close" : "Leave";
  ui.leave.hidden = !conv;
  const peopleKey = `${conv?.key ?? ""}\n${rosterVersion}\n${client?.id ?? ""}`;
  if (peopleKey !== peopleShown) {
    peopleShown = peopleKey;
    const roomUsers: Member[] = conv?.type === "room" && client ? client.users(conv.name) : [];
    renderPeople(ui.users, roomUsers, client?.id ?? null, (name) => open(model.dm(name).key));
  }
  ui.peopleToggle.hidden = conv?.type !== "room";
  ui.typing.textContent = conv?.type === "room" && client ? typingText(client.typing(conv.name)) : "";
  ui.rename.textContent = client?.name ?? "";
  ui.rename.setAttribute("aria-label", `${client?.name ?? ""}: change your name`);
  composer.placeholder = conv?.type === "dm" ? `Message @${conv.name}` : conv ? `Message #${conv.name}, or /help for commands` : "Join a room first";
  const unread = model.list().reduce((n, c) => n + model.unread(c), 0);
  const mentioned = model.list().some((c) => model.unreadMentions(c) > 0);
  document.title = unread > 0 ? `(${unread}${mentioned ? " @" : ""}) Hubbub` : "Hubbub";
  markRead();
  if (client) storePlaces({ rooms: client.rooms, dms: model.list("dm").map((c) => c.name), current: model.current });
}

/** The room on screen is read up to its last message, while the reader can see its end. */
function markRead(): void {
  const conv = model.active;
  if (!client || conv?.type !== "room" || document.visibilityState !== "visible" || !timeline.atBottom) return;
  const last = model.lastSeq(conv);
  if (last > conv.lastRead && client.rooms.includes(conv.name)) client.markRead(conv.name, last);
}

function open(key: string): void {
  model.select(key);
  drawers.close();
  composer.focus();
}

function notice(text: string): void {
  const conv = model.active ?? (client?.rooms[0] ? model.room(client.rooms[0]) : undefined);
  if (conv) model.add(conv, { type: "notice", text });
  else toasts.show(text);
}

function pending(conv: Conversation, text: string, action: boolean, send: () => Promise<unknown>): void {
  const line = model.addPending(conv, text, action);
  resend.set(line, send);
  timeline.stickNext();
  send().then(
    () => model.settle(conv, line),
    (err: unknown) => model.fail(conv, line, human(err)),
  );
}

/** Older messages of a room: more of what the SDK holds, else the page before it, loaded into the SDK's list. */
function loadOlder(c: Conversation): void {
  if (!client || loadingOlder.has(c.key) || !client.rooms.includes(c.name)) return;
  const held = client.messages(c.name).length;
  if (held > c.shown) {
    c.shown += OLDER_PAGE;
    return queueRender();
  }
  loadingOlder.add(c.key);
  client
    .loadOlder(c.name, OLDER_PAGE)
    .then((page) => {
      c.shown += page.messages.length;
      c.older = page.more && page.messages.length > 0;
      queueRender();
    })
    .catch(() => undefined)
    .finally(() => loadingOlder.delete(c.key));
}

/** A click on a message's reaction or action: a reaction toggles, Edit opens the dialog, Delete deletes. */
function act(conv: Conversation, action: LineAction, id: string, emoji = "👍"): void {
  const c = client;
  if (!c || conv.type !== "room") return;
  const msg = c.messages(conv.name).find((m) => m.id === id);
  if (action === "react") {
    const mine = c.id !== null && (msg?.reactions?.[emoji]?.includes(c.id) ?? false);
    c.react(conv.name, id, emoji, !mine).catch(report);
  } else if (action === "delete") c.delete(conv.name, id).catch(report);
  else if (msg) {
    void edits.ask(msg.text, c.limits?.maxTextLength ?? DEFAULT_MAX_TEXT).then((text) => {
      if (text !== null) c.edit(conv.name, id, text).catch(report);
      composer.focus();
    });
  }
}

function start(name: string | null, token: string | undefined): void {
  const places = storedPlaces();
  const rooms = (places?.rooms ?? []).map((r) => normalizeRoom(r)).filter((r): r is string => r !== null);
  const resume = token === undefined ? (storedResume() ?? undefined) : undefined;
  const c = new HubbubClient({ url: new URL("/ws", location.href.replace(/^http/, "ws")), name: name ?? undefined, token, resume, history: true, rooms: rooms.length ? rooms : undefined });
  client = c;
  /** The ref-less error frame that came before a refusal's close: it says why. */
  let refusal: HubbubError | null = null;
  c.on("state", (s) => {
    status.show(s);
    ui.retry.hidden = s.state !== "reconnecting";
    if (s.state === "connected") ui.rename.hidden = token !== undefined;
    if (s.state === "offline" && s.error) refused(refusal ?? s.error, c.name, token);
  });
  c.on("rooms", (list) => {
    for (const room of list) model.room(room);
    for (const conv of model.list("room")) if (!list.includes(conv.name)) model.remove(conv.key);
  });
  c.on("message", (m) => model.arrived(model.room(m.room), m));
  c.on("changed", queueRender);
  c.on("direct", (d) => model.add(model.dm((d.from.id === c.id ? d.to : d.from).name), d));
  c.on("lastRead", ({ room, seq }) => {
    const conv = model.get(roomKey(room));
    if (conv) model.setLastRead(conv, seq);
  });
  c.on("typists", render);
  c.on("notice", (n) => notice(n.text));
  // Errors that answer a request of ours reach the caller's rejection (shown once, there); the
  // rest are the server's own news, or the reason for a refusal.
  c.on("error", (e) => {
    if (e.ref !== undefined) return;
    if (c.state.state !== "connected") refusal = new HubbubError(e.code, e.message);
    else if (e.code !== "not_in_room") report(new HubbubError(e.code, e.message));
  });
  c.on("resume", storeResume);
  c.on("reset", ({ room, previous }) => model.restarted(model.room(room), previous));
  c.on("gap", ({ room, fromSeq, toSeq }) => model.add(model.room(room), { type: "notice", text: `${toSeq - fromSeq + 1} messages were missed while offline.` }));
  c.on("roster", () => {
    rosterVersion++;
    render();
  });
  // Renames come from this tab or another of the same user (an `identity` frame).
  c.on("name", (n) => {
    if (token === undefined) storeName(n);
    render();
  });
  for (const room of c.rooms) model.room(room);
  for (const peer of places?.dms ?? []) model.dm(peer);
  if (places?.current && model.get(places.current)) model.select(places.current);
  composer.focus();
  c.connect().catch(() => {});
}

/** The server turned this connection away for good: say why, and offer the way on. */
function refused(err: HubbubError, name: string | null, token: string | undefined): void {
  client = null;
  ui.rename.hidden = true;
  if (err.code === "unauthorized") {
    forgetToken();
    status.note("offline", "not signed in");
    byId<HTMLDialogElement>("blocked").showModal();
    return;
  }
  if ((err.code === "name_taken" || err.code === "invalid_name") && token === undefined) {
    const problem = err.code === "name_taken" ? `Someone else is using “${name ?? ""}” right now. Pick another name.` : human(err);
    status.note("offline", "pick a name");
    void names.ask("retry", { problem, value: name ?? "" }).then((next) => {
      if (next !== null) storeName(next);
      start(next, undefined);
    });
    return;
  }
  status.note("offline", "offline");
  toasts.show(`Could not connect: ${human(err)}`);
}

ui.leave.addEventListener("click", () => {
  const conv = model.active;
  if (!conv || !client) return;
  if (conv.type === "dm") model.remove(conv.key);
  else client.leave(conv.name).catch(report);
});

for (const [formId, inputId] of [["join-form", "join-input"], ["empty-join", "empty-join-input"]] as const) {
  const input = byId<HTMLInputElement>(inputId);
  byId<HTMLFormElement>(formId).addEventListener("submit", (e) => {
    e.preventDefault();
    const raw = input.value.trim();
    if (!client || !raw) return;
    const room = normalizeRoom(raw);
    if (room === null) return report(new HubbubError("invalid_room", raw));
    input.value = "";
    client.join(room, { history: true }).then(
      () => open(roomKey(room)),
      report,
    );
  });
}

ui.rename.addEventListener("click", () => {
  const c = client;
  if (!c) return;
  void names.ask("rename", { value: c.name ?? "" }).then((name) => {
    if (name !== null && name !== c.name) c.setName(name).catch(report);
    composer.focus();
  });
});

ui.retry.addEventListener("click", () => client?.reconnectNow());
window.addEventListener("online", () => client?.reconnectNow());
document.addEventListener("visibilitychange", markRead);
installTheme();
installSwitcher(model, open);

const token = takeToken() ?? undefined;
const remembered = storedName();
if (token !== undefined || remembered !== null || storedResume() !== null) start(remembered, token);
else {
  status.note("waiting", "not connected");
  void names.ask("first").then((name) => {
    if (name !== null) storeName(name);
    start(name, undefined);
  });
}
