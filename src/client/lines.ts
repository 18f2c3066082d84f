// What a line of chat input turns into. The parsing rule is the server's own (parseCommand is
// pure and shared, so there is no second definition of the slash syntax); this only adds
// which lines produce a room message, and what that message's kind and text will be, which
// the Outbox needs to recognise its in-flight messages in a replay.
import { parseCommand } from "../commands/index.ts";
import { SHRUG } from "../commands/shrug.ts";
import type { MessageKind } from "../shared/protocol.ts";

export { parseCommand };

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

/** Escapes a text so the server publishes it literally even when it starts with `/`. */
export function literal(text: string): string {
  return text.startsWith("/") ? `/${text}` : text;
}
