// Slash commands: parsing (pure) and the registry. A chat text that starts with `/` is a
// command; `//` escapes a literal leading slash.
import { ErrorCode } from "../shared/codes.ts";
import type { Command, CommandContext } from "./command.ts";
import { help } from "./help.ts";
import { join } from "./join.ts";
import { leave } from "./leave.ts";
import { me } from "./me.ts";
import { msg } from "./msg.ts";
import { nick } from "./nick.ts";
import { shrug } from "./shrug.ts";
import { who } from "./who.ts";

export type { Command, CommandContext } from "./command.ts";

/** Every command, in the order /help lists them. */
export const COMMANDS: readonly Command[] = [me, shrug, nick, join, leave, msg, who, help];
const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

export type ParsedText =
  | { kind: "text"; text: string }
  | { kind: "command"; name: string; args: string };

/** Classifies a chat text: plain text (with `//` unescaped) or a command with its arguments. */
export function parseCommand(text: string): ParsedText {
  if (!text.startsWith("/")) return { kind: "text", text };
  if (text.startsWith("//")) return { kind: "text", text: text.slice(1) };
  const m = /^\/(\S*)\s*([\s\S]*)$/.exec(text)!;
  return { kind: "command", name: m[1]!.toLowerCase(), args: m[2]!.trim() };
}

/** Runs the named command, or answers `unknown_command`. */
export function runCommand(ctx: Omit<CommandContext, "commands">, name: string, args: string): Promise<void> | void {
  const cmd = BY_NAME.get(name);
  if (!cmd) return ctx.session.fail(ErrorCode.UnknownCommand, `unknown command /${name.slice(0, 32)}; try /help`, ctx.ref);
  return cmd.run({ ...ctx, commands: COMMANDS }, args);
}
