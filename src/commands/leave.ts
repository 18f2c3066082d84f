import type { Command } from "./command.ts";

export const leave: Command = {
  name: "leave",
  usage: "/leave [room]",
  summary: "leave a room (default: the current one)",
  membership: true,
  run: ({ services, session, room, ref }, args) => services.rooms.leave(session, args || room, ref),
};
