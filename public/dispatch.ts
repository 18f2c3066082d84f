// What a submitted line does. Text (and `/me`, `/shrug`) goes out as a pending message that the
// timeline shows at once; a direct conversation sends plain text to its peer; commands go through
// the SDK, and a few also change what is on screen. Every failure rejects, so the caller can
// show it: the SDK's own refusals (a bad room or name, a room one is not in) as much as the
// server's.
import { HubbubError, expectedMessage, parseCommand, parseDirectArgs, type HubbubClient } from "hubbub/client";
import { dmKey, roomKey, type Conversation, type Conversations } from "./conversations.ts";

export interface DispatchContext {
  client: HubbubClient;
  model: Conversations;
  open(key: string): void;
  notice(text: string): void;
  /** Shows `text` as pending in `conv` and runs `send`; the line settles or fails with it. */
  pending(conv: Conversation, text: string, action: boolean, send: () => Promise<unknown>): void;
}

export async function dispatch(line: string, { client, model, open, notice, pending }: DispatchContext): Promise<void> {
  const conv = model.active;
  const p = parseCommand(line);
  if (!conv) {
    if (p.kind === "command" && p.name === "join") {
      await client.join(p.args, { history: true });
      return open(roomKey(client.rooms.at(-1)!));
    }
    throw new HubbubError("not_in_room", "you are not in any room");
  }
  if (conv.type === "dm") {
    if (p.kind === "text") return pending(conv, p.text, false, () => client.direct(conv.name, p.text));
    if (p.name === "me" || p.name === "shrug") throw new HubbubError("bad_call", `/${p.name} works in rooms only`);
  } else {
    const message = expectedMessage(line);
    if (message) return pending(conv, message.text, message.kind === "action", () => client.send(line, conv.name));
  }
  const room = conv.type === "room" ? conv.name : client.rooms[0];
  if (p.kind === "command") {
    const msg = parseDirectArgs(p.args);
    if (p.name === "who") {
      const page = await client.who(p.args || room);
      const more = page.count > page.users.length ? ` and ${page.count - page.users.length} more` : "";
      notice(`In #${page.room}: ${page.users.map((u) => u.name).join(", ")}${more}`);
      return;
    }
    if (p.name === "list") {
      const page = await client.list(p.args || undefined);
      notice(`Public rooms: ${page.rooms.map((r) => `#${r.room} (${r.count})${r.topic ? ` ${r.topic}` : ""}`).join(", ") || "none"}${page.next ? ` … /list ${page.next}` : ""}`);
      return;
    }
    if (p.name === "join" && p.args) {
      await client.join(p.args, { history: true });
      open(roomKey(client.rooms.find((r) => r === p.args.toLowerCase()) ?? p.args.toLowerCase()));
      return;
    }
    if (p.name === "msg" && msg) {
      const echo = await client.direct(msg.to, msg.text);
      open(dmKey(echo.to.name));
      return;
    }
  }
  await client.command(line, room);
}
