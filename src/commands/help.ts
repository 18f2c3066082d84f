import type { Command } from "./command.ts";

export const help: Command = {
  name: "help",
  usage: "/help",
  summary: "list the commands",
  run: ({ session, commands }) => {
    const width = Math.max(...commands.map((c) => c.usage.length));
    const lines = commands.map((c) => `${c.usage.padEnd(width)}  ${c.summary}`);
    session.send({ type: "notice", text: ["Commands:", ...lines, "Start a message with // to send a literal /."].join("\n") });
  },
};
