// The room commands: each is exactly a room action frame (moderation.ts) on the chat frame's
// room, or the connection's first room. `user` is a name, or a user id for someone offline;
// a duration is seconds or 90s / 15m / 12h / 7d.
import { parseTtl } from "../auth.ts";
import type { RoomActionFrame } from "../shared/protocol.ts";
import type { Command, CommandContext } from "./command.ts";
import { usageError } from "./usage.ts";

type Request = RoomActionFrame extends infer F ? (F extends RoomActionFrame ? Omit<F, "room" | "ref"> : never) : never;

/** A command that turns its arguments into one request, or null for a usage error. */
function action(name: string, usage: string, summary: string, parse: (args: string) => Request | null): Command {
  const cmd: Command = {
    name,
    usage,
    summary,
    run: (ctx: CommandContext, args: string) => {
      const request = parse(args.trim());
      if (request === null) return usageError(ctx, cmd);
      return ctx.services.moderation.act(ctx.session, { ...request, room: ctx.room, ref: ctx.ref } as RoomActionFrame);
    },
  };
  return cmd;
}

/** The first word and the rest. */
function split(args: string): [string, string] {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(args);
  return m ? [m[1]!, m[2]!.trim()] : ["", ""];
}

/** `<user> [duration] [reason]`: the duration when the second word reads as one. */
function penalty(args: string): { user: string; seconds?: number; reason?: string } | null {
  const [user, rest] = split(args);
  if (!user) return null;
  const [first, after] = split(rest);
  const seconds = first ? parseTtl(first) : null;
  const reason = seconds === null ? rest : after;
  const out: { user: string; seconds?: number; reason?: string } = { user };
  if (seconds !== null) out.seconds = seconds;
  if (reason) out.reason = reason;
  return out;
}

const user = (type: "invite" | "unban" | "unmute") => (args: string) => (args && !/\s/.test(args) ? ({ type, user: args } as Request) : null);
const role = (r: "owner" | "moderator" | "member") => (args: string) => (args && !/\s/.test(args) ? ({ type: "role", user: args, role: r } as Request) : null);

export const MODERATION_COMMANDS: readonly Command[] = [
  action("topic", "/topic <text>", "set the room's topic (owners and moderators)", (text) => ({ type: "topic", text })),
  action("invite", "/invite <user>", "let a user into this private room", user("invite")),
  action("kick", "/kick <user> [reason]", "take a user out of the room", (args) => {
    const [u, reason] = split(args);
    return u ? (reason ? { type: "kick", user: u, reason } : { type: "kick", user: u }) : null;
  }),
  action("ban", "/ban <user> [duration] [reason]", "ban a user from the room (for good, or for the duration)", (args) => {
    const p = penalty(args);
    return p && { type: "ban", ...p };
  }),
  action("unban", "/unban <user>", "lift a ban", user("unban")),
  action("mute", "/mute <user> [duration]", "stop a user posting in the room", (args) => {
    const p = penalty(args);
    return p && !p.reason ? (p.seconds ? { type: "mute", user: p.user, seconds: p.seconds } : { type: "mute", user: p.user }) : null;
  }),
  action("unmute", "/unmute <user>", "lift a mute", user("unmute")),
  action("op", "/op <user>", "make a user a moderator (owners)", role("moderator")),
  action("deop", "/deop <user>", "make a moderator a member again (owners)", role("member")),
  action("owner", "/owner <user>", "give the room to another user; you stay a moderator (owners)", role("owner")),
  action("private", "/private", "only invited users may join (owners)", (a) => (a ? null : { type: "mode", visibility: "private" })),
  action("public", "/public", "anyone may join (owners)", (a) => (a ? null : { type: "mode", visibility: "public" })),
  action("moderated", "/moderated [on|off]", "only moderators post", (a) => (a === "" || a === "on" ? { type: "mode", moderated: true } : a === "off" ? { type: "mode", moderated: false } : null)),
  action("slowmode", "/slowmode <seconds|off>", "members post at most once per that many seconds", (a) => {
    const seconds = a === "off" || a === "0" ? 0 : parseTtl(a);
    return seconds === null ? null : { type: "mode", slowmode: seconds };
  }),
];

export const list: Command = {
  name: "list",
  usage: "/list [after]",
  summary: "list the public rooms",
  run: ({ services, session, ref }, args) => services.moderation.list(session, args.trim() || undefined, ref),
};
