import { usageError } from "./usage.ts";
import type { Command } from "./command.ts";

export const me: Command = {
  name: "me",
  usage: "/me <action>",
  summary: "describe an action (shown as “name action”)",
  run: (ctx, args) => (args ? ctx.services.messages.say(ctx.session, ctx.room, "action", args, ctx.cid, ctx.ref) : usageError(ctx, me)),
};
