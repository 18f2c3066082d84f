// What a line of chat input turns into. The slash syntax is shared/slash.ts, the one definition
// the server uses too; this adds only which lines publish a room message (and what it will be),
// which send() needs in order to refuse the commands that publish nothing.
import type { MessageKind } from "../shared/protocol.ts";
import { SHRUG, parseCommand } from "../shared/slash.ts";

export { literal, parseCommand, parseDirectArgs } from "../shared/slash.ts";

/** The message a line publishes, when it publishes one. */
export interface ExpectedMessage {
  kind: MessageKind;
  text: string;
}

/** For plain text, `//`-escaped text, `/me <action>` and `/shrug [text]`: the message it becomes. Null for other commands. */
export function expectedMessage(line: string): ExpectedMessage | null {
  const p = parseCommand(line);
  if (p.kind === "text") return { kind: "text", text: p.text };
  if (p.name === "me") return p.args ? { kind: "action", text: p.args } : null;
  if (p.name === "shrug") return { kind: "text", text: p.args ? `${p.args} ${SHRUG}` : SHRUG };
  return null;
}
