import type { Command } from "./command.ts";

export const help: Command = {
  name: "help",
  usage: "/help",
  summary: "list the commands",
  run: ({ session, commands, ref }) => {
    const width = Math.max(...commands.map((c) => c.usage.length));
    const lines = commands.map((c) => `${c.usage.padEnd(width)}  ${c.summary}`);
    const text = ["Commands:", ...lines, "Start a message with // to send a literal /."].join("\n");
    session.send(ref === undefined ? { type: "notice", text } : { type: "notice", text, ref });
  },
};
