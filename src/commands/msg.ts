import { usageError } from "./usage.ts";
import type { Command } from "./command.ts";

export const msg: Command = {
  name: "msg",
  usage: "/msg <name> <text>",
  summary: "send a direct message",
  run: (ctx, args) => {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(args);
    return m ? ctx.hub.direct(ctx.session, m[1]!, m[2]!, ctx.ref) : usageError(ctx, msg);
  },
};
