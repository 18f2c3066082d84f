// The shape of a slash command. Each command lives in its own file and only calls the Hub.
import type { Hub } from "../hub.ts";
import type { Session } from "../session.ts";

export interface CommandContext {
  hub: Hub;
  session: Session;
  /** The `room` of the chat frame that carried the command (undefined: the first room). */
  room: string | undefined;
  /** The chat frame's `ref`, answered by an ack or echoed on an error. */
  ref: string | number | undefined;
  /** Every registered command, for `/help`. */
  commands: readonly Command[];
}

export interface Command {
  /** The word after the slash, lower-case. */
  name: string;
  /** How to call it, shown by /help and in usage errors. */
  usage: string;
  /** One line on what it does. */
  summary: string;
  run(ctx: CommandContext, args: string): Promise<void> | void;
}
