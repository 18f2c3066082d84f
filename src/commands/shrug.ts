import { SHRUG } from "../shared/slash.ts";
import type { Command } from "./command.ts";

export const shrug: Command = {
  name: "shrug",
  usage: "/shrug [text]",
  summary: "send text followed by a shrug",
  run: ({ services, session, room, cid, ref }, args) => services.messages.say(session, room, "text", args ? `${args} ${SHRUG}` : SHRUG, cid, ref),
};
