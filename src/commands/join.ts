import { usageError } from "./usage.ts";
import type { Command } from "./command.ts";

export const join: Command = {
  name: "join",
  usage: "/join <room>",
  summary: "join a room",
  membership: true,
  run: (ctx, args) => (args ? ctx.services.rooms.join(ctx.session, args, {}, ctx.ref) : usageError(ctx, join)),
};
