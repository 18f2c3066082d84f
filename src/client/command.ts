// Running one line of chat input the way a chat box would. What a line *is* lives in lines.ts
// (and the slash syntax in shared/slash.ts); this is only where each kind of line goes: the
// client's typed methods for the commands the SDK knows, the server for any other.
import { expectedMessage, parseCommand, parseDirectArgs } from "./lines.ts";

/** The client methods a line can turn into (HubbubClient's public ones). */
export interface CommandTarget {
  send(text: string, room?: string): Promise<unknown>;
  join(room: string): Promise<unknown>;
  leave(room?: string): Promise<void>;
  setName(name: string): Promise<unknown>;
  direct(to: string, text: string): Promise<unknown>;
  who(room?: string): Promise<unknown>;
  help(): Promise<unknown>;
}

/**
 * Plain text and `/me`, `/shrug` are sent; `/join`, `/leave`, `/nick`, `/msg`, `/who`, `/help`
 * call their method; anything else (including those with missing arguments) is passed on to
 * the server (`passOn`), whose error for it rejects.
 */
export async function runCommand(target: CommandTarget, line: string, room: string | undefined, passOn: () => Promise<unknown>): Promise<void> {
  const p = parseCommand(line);
  if (expectedMessage(line)) {
    await target.send(line, room);
    return;
  }
  if (p.kind === "text") return;
  const msg = parseDirectArgs(p.args);
  if (p.name === "join" && p.args) await target.join(p.args);
  else if (p.name === "leave") await target.leave(p.args || room);
  else if (p.name === "nick" && p.args) await target.setName(p.args);
  else if (p.name === "msg" && msg) await target.direct(msg.to, msg.text);
  else if (p.name === "who") await target.who(p.args || room);
  else if (p.name === "help") await target.help();
  else await passOn();
}
