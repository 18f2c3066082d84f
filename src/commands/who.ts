import type { Command } from "./command.ts";

export const who: Command = {
  name: "who",
  usage: "/who [room]",
  summary: "list who is in a room",
  run: ({ hub, session, room, ref }, args) => hub.who(session, args || room, ref),
};
