import { usageError } from "./usage.ts";
import type { Command } from "./command.ts";

export const join: Command = {
  name: "join",
  usage: "/join <room>",
  summary: "join a room",
  run: (ctx, args) => (args ? ctx.hub.join(ctx.session, args, undefined, ctx.ref) : usageError(ctx, join)),
};
