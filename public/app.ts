// The web client: wires the SDK's events to the page's model and views. No logic of its own
// beyond that wiring; see conversations.ts (model), dispatch.ts (input), views/ (rendering).
import { ErrorCode, HubbubClient, HubbubError, normalizeRoom, type Member } from "hubbub/client";
import { Composer } from "./composer.ts";
import { Conversations, roomKey } from "./conversations.ts";
import { dispatch } from "./dispatch.ts";
import { byId } from "./dom.ts";
import { askName, storeName, storeResume, storedName, storedResume } from "./name.ts";
import { MessageList, QUICK_REACTION, type LineAction } from "./views/messages.ts";
import { renderPeople } from "./views/people.ts";
import { renderSidebar } from "./views/sidebar.ts";
import { StatusView } from "./views/status.ts";
import { toast } from "./views/toasts.ts";

const ui = {
  rooms: byId<HTMLUListElement>("rooms"),
  dms: byId<HTMLUListElement>("dms"),
  messages: byId<HTMLOListElement>("messages"),
  users: byId<HTMLUListElement>("users"),
  title: byId("title"),
  leave: byId<HTMLButtonElement>("leave"),
  rename: byId<HTMLButtonElement>("rename"),
  toasts: byId("toasts"),
  input: byId<HTMLInputElement>("input"),
  joinForm: byId<HTMLFormElement>("join-form"),
  joinInput: byId<HTMLInputElement>("join-input"),
  retry: byId<HTMLButtonElement>("retry"),
};
const SERVER_CODES = new Set<string>(Object.values(ErrorCode));

let client: HubbubClient | null = null;
let renderQueued = false;
const model = new Conversations(() => {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(render);
});
const me = () => ({ id: client?.id ?? null, name: client?.name ?? null });
const messageList = new MessageList(ui.messages, me, act, loadOlder);
const status = new StatusView(byId("status"));
const composer = new Composer(byId<HTMLFormElement>("composer"), ui.input, (line) => {
  if (!client) return;
  const c = client;
  dispatch(line, { client: c, model, open, notice }).catch(report);
});

function render(): void {
  renderQueued = false;
  const conv = model.active;
  renderSidebar(ui.rooms, ui.dms, model, open);
  messageList.render(conv);
  ui.title.textContent = conv ? (conv.type === "room" ? `#${conv.name}` : `@${conv.name}`) : "";
  ui.leave.textContent = conv?.type === "dm" ? "Close" : "Leave";
  ui.leave.hidden = !conv;
  const roomUsers: Member[] = conv?.type === "room" && client ? client.users(conv.name) : [];
  renderPeople(ui.users, roomUsers, client?.id ?? null, (name) => open(model.dm(name).key));
  ui.rename.textContent = client?.name ?? "";
  ui.input.placeholder = conv?.type === "dm" ? `Message @${conv.name}` : "Message, or /help for commands";
}

/** A click on a message's reaction or action: react toggles, edit asks for the new text. */
function act(action: LineAction, id: string, emoji = QUICK_REACTION): void {
  const conv = model.active;
  const c = client;
  if (!c || conv?.type !== "room") return;
  const msg = c.messages(conv.name).find((m) => m.id === id);
  if (action === "react") void c.react(conv.name, id, emoji, !(c.id !== null && msg?.reactions?.[emoji]?.includes(c.id))).catch(report);
  else if (action === "delete") void c.delete(conv.name, id).catch(report);
  else {
    const text = prompt("Edit your message", msg?.text ?? "");
    if (text !== null && text.trim() && text !== msg?.text) void c.edit(conv.name, id, text).catch(report);
  }
}

let loadingOlder = false;
/** Scrolled to the top of a room: its older messages come in above. */
function loadOlder(): void {
  const conv = model.active;
  const c = client;
  if (!c || conv?.type !== "room" || loadingOlder) return;
  loadingOlder = true;
  c.loadOlder(conv.name)
    .then(({ messages }) => model.prepend(conv, messages), report)
    .finally(() => (loadingOlder = false));
}

function open(key: string): void {
  model.select(key);
  composer.focus();
}

function notice(text: string): void {
  const conv = model.active ?? (client?.rooms[0] ? model.room(client.rooms[0]) : undefined);
  if (conv) model.add(conv, { kind: "notice", text, ts: Date.now() });
}

/** Server errors are shown from the `error` event; this reports only the client's own. */
function report(err: unknown): void {
  if (err instanceof HubbubError && SERVER_CODES.has(err.code)) return;
  toast(ui.toasts, err instanceof Error ? err.message : String(err));
}

function start(name: string): void {
  // On a server with AUTH_SECRET, the page is opened as /?token=…: the token names the user (the
  // SDK offers it as a subprotocol, never in the /ws URL). Otherwise the kept resume token
  // makes a reload or another tab the same user.
  const token = new URLSearchParams(location.search).get("token") ?? undefined;
  const resume = token === undefined ? (storedResume() ?? undefined) : undefined;
  const c = new HubbubClient({ url: new URL("/ws", location.href.replace(/^http/, "ws")), name, token, resume, history: true });
  client = c;
  c.on("state", (s) => {
    status.show(s);
    ui.retry.hidden = s.state !== "reconnecting";
    if (s.state === "offline" && s.error) restartWithNewName(s.error);
  });
  c.on("rooms", (rooms) => {
    for (const room of rooms) model.room(room);
    for (const conv of model.list("room")) if (!rooms.includes(conv.name)) model.remove(conv.key);
  });
  c.on("message", (m) => model.add(model.room(m.room), { kind: "message", msg: m }, m.from.id === c.id));
  c.on("changed", ({ room, message }) => model.update(model.room(room), message));
  c.on("direct", (d) => {
    const own = d.from.id === c.id;
    model.add(model.dm((own ? d.to : d.from).name), { kind: "direct", msg: d }, own);
  });
  c.on("notice", (n) => notice(n.text));
  c.on("error", (e) => toast(ui.toasts, e.message));
  c.on("resume", storeResume);
  c.on("reset", ({ room }) => model.add(model.room(room), { kind: "notice", text: "The server restarted; the room's history starts again here.", ts: Date.now() }));
  c.on("gap", ({ room, fromSeq, toSeq }) => model.add(model.room(room), { kind: "notice", text: `${toSeq - fromSeq + 1} messages were missed while offline.`, ts: Date.now() }));
  c.on("roster", render);
  // Renames come from this tab or another of the same user (an `identity` frame).
  c.on("name", (n) => {
    storeName(n);
    render();
  });
  for (const room of c.rooms) model.room(room);
  c.connect().catch(() => {});
}

function restartWithNewName(err: HubbubError): void {
  client = null;
  void askName(`Could not join with that name: ${err.message}. Try another.`).then((name) => {
    storeName(name);
    start(name);
  });
}

ui.leave.addEventListener("click", () => {
  const conv = model.active;
  if (!conv || !client) return;
  if (conv.type === "dm") model.remove(conv.key);
  else client.leave(conv.name).catch(report);
});

ui.joinForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const room = normalizeRoom(ui.joinInput.value.trim());
  if (!client) return;
  if (room === null) return toast(ui.toasts, "Room names are 1–32 of a-z, 0-9, _ and -, starting with a letter or digit.");
  ui.joinInput.value = "";
  client.join(room, { history: true }).then(() => open(roomKey(room)), report);
});

ui.rename.addEventListener("click", () => {
  const c = client;
  if (!c) return;
  void askName("", c.name ?? "").then((name) => c.setName(name).catch(report));
});

ui.retry.addEventListener("click", () => client?.reconnectNow());
window.addEventListener("online", () => client?.reconnectNow());

const remembered = storedName();
if (remembered) start(remembered);
else void askName().then((name) => {
  storeName(name);
  start(name);
});
