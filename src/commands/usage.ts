import { ErrorCode } from "../shared/codes.ts";
import type { Command, CommandContext } from "./command.ts";

/** The error for a command called without the arguments it needs. */
export function usageError(ctx: CommandContext, cmd: Command): void {
  ctx.session.fail(ErrorCode.InvalidMessage, `usage: ${cmd.usage}`, ctx.ref);
}
