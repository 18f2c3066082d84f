import { usageError } from "./usage.ts";
import type { Command } from "./command.ts";

export const nick: Command = {
  name: "nick",
  usage: "/nick <name>",
  summary: "change your name",
  run: (ctx, args) => (args ? ctx.services.names.rename(ctx.session, args, ctx.ref) : usageError(ctx, nick)),
};
