// Slash commands: the registry and dispatch. The syntax (parseCommand) is shared with the
// clients (shared/slash.ts); a chat text that starts with `/` is a command, `//` escapes one.
import { ErrorCode } from "../shared/codes.ts";
import type { Command, CommandContext } from "./command.ts";
import { help } from "./help.ts";
import { join } from "./join.ts";
import { leave } from "./leave.ts";
import { me } from "./me.ts";
import { MODERATION_COMMANDS, list } from "./moderation.ts";
import { msg } from "./msg.ts";
import { nick } from "./nick.ts";
import { shrug } from "./shrug.ts";
import { who } from "./who.ts";

export type { Command, CommandContext } from "./command.ts";
export { parseCommand, type ParsedText } from "../shared/slash.ts";

/** Every command, in the order /help lists them. */
export const COMMANDS: readonly Command[] = [me, shrug, nick, join, leave, msg, who, list, ...MODERATION_COMMANDS, help];
const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

/** The named command, if there is one. */
export function findCommand(name: string): Command | undefined {
  return BY_NAME.get(name);
}

/** Runs the named command, or answers `unknown_command`. */
export function runCommand(ctx: Omit<CommandContext, "commands">, name: string, args: string): Promise<void> | void {
  const cmd = BY_NAME.get(name);
  if (!cmd) return ctx.session.fail(ErrorCode.UnknownCommand, `unknown command /${name.slice(0, 32)}; try /help`, ctx.ref);
  return cmd.run({ ...ctx, commands: COMMANDS }, args);
}
