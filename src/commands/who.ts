import type { Command } from "./command.ts";

export const who: Command = {
  name: "who",
  usage: "/who [room]",
  summary: "list who is in a room",
  run: ({ services, session, room, ref }, args) => services.rooms.who(session, args || room, undefined, undefined, ref),
};
