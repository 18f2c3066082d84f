import { parseDirectArgs } from "../shared/slash.ts";
import { usageError } from "./usage.ts";
import type { Command } from "./command.ts";

export const msg: Command = {
  name: "msg",
  usage: "/msg <name> <text>",
  summary: "send a direct message",
  run: (ctx, args) => {
    const d = parseDirectArgs(args);
    return d ? ctx.services.messages.direct(ctx.session, d.to, d.text, ctx.cid, ctx.ref) : usageError(ctx, msg);
  },
};
