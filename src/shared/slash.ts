// The slash-command syntax, shared by the server (which runs the commands), the SDK and the
// page (which turn a line of input into typed frames). Pure: parsing only, no command runs here.

/** What `/shrug` appends. */
export const SHRUG = "¯\\_(ツ)_/¯";

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

/** `/msg`'s arguments: the recipient and the text, or null when either is missing. */
export function parseDirectArgs(args: string): { to: string; text: string } | null {
  const m = /^(\S+)\s+([\s\S]+)$/.exec(args);
  return m ? { to: m[1]!, text: m[2]! } : null;
}

/** Escapes a text so the server publishes it literally even when it starts with `/`. */
export function literal(text: string): string {
  return text.startsWith("/") ? `/${text}` : text;
}
