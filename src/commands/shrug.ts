import type { Command } from "./command.ts";

export const SHRUG = "¯\\_(ツ)_/¯";

export const shrug: Command = {
  name: "shrug",
  usage: "/shrug [text]",
  summary: "send text followed by a shrug",
  run: ({ hub, session, room, ref }, args) => hub.say(session, room, "text", args ? `${args} ${SHRUG}` : SHRUG, ref),
};
