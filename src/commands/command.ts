// The shape of a slash command. Each command lives in its own file and only calls the services
// a typed frame would: `/join x` does exactly what `{type: "join", room: "x"}` does, and answers
// the chat frame's `ref` the same way.
import type { Services } from "../services.ts";
import type { Session } from "../session.ts";
import type { Ref } from "../shared/protocol.ts";

export interface CommandContext {
  services: Services;
  session: Session;
  /** The `room` of the chat frame that carried the command (undefined: the first room). */
  room: string | undefined;
  /** The chat frame's `cid`, for commands that publish a message (`/me`, `/shrug`). */
  cid: string | undefined;
  /** The chat frame's `ref`, answered by the command's one reply. */
  ref: Ref | undefined;
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
  /** Whether it joins or leaves rooms (metered by JOIN_RATE_LIMIT, not RATE_LIMIT). */
  membership?: boolean;
  run(ctx: CommandContext, args: string): Promise<void> | void;
}
