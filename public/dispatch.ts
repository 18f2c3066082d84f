// What a submitted line does. Rooms take any line through the SDK's command(); a direct
// conversation sends plain text to its peer; a few commands also change what is on screen.
import { HubbubError, normalizeRoom, parseCommand, parseDirectArgs, type HubbubClient } from "hubbub/client";
import { dmKey, roomKey, type Conversations } from "./conversations.ts";

export interface DispatchContext {
  client: HubbubClient;
  model: Conversations;
  open(key: string): void;
  notice(text: string): void;
}

export async function dispatch(line: string, { client, model, open, notice }: DispatchContext): Promise<void> {
  const conv = model.active;
  const room = conv?.type === "room" ? conv.name : client.rooms[0];
  const p = parseCommand(line);
  if (p.kind === "text" && conv?.type === "dm") {
    await client.direct(conv.name, p.text);
    return;
  }
  if (p.kind === "command") {
    const msg = parseDirectArgs(p.args);
    if (p.name === "me" && conv?.type === "dm") throw new HubbubError("bad_call", "/me works in rooms only");
    if (p.name === "who") {
      const target = p.args || room;
      const page = await client.who(target);
      const more = page.count > page.users.length ? ` and ${page.count - page.users.length} more` : "";
      notice(`In #${page.room}: ${page.users.map((u) => u.name).join(", ")}${more}`);
      return;
    }
    if (p.name === "join" && normalizeRoom(p.args)) {
      await client.join(p.args, { history: true });
      open(roomKey(normalizeRoom(p.args)!));
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
