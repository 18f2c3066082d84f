import type { Command } from "./command.ts";

export const leave: Command = {
  name: "leave",
  usage: "/leave [room]",
  summary: "leave a room (default: the current one)",
  run: ({ hub, session, room, ref }, args) => hub.leave(session, args || room, ref),
};
