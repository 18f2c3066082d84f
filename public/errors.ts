// What a failure means, for people: a sentence that says what happened and what to do, never a
// close code, an error code or a regular expression. Server errors carry a `message` written for
// people too; the codes below get the page's own wording, which knows what the user just did.
import { ClientErrorCode, HubbubError, type ClientEvents } from "hubbub/client";

const ROOM_RULE = "Room names are 1–32 characters: a–z, 0–9, _ and -, starting with a letter or digit.";
const NAME_RULE = "Names are 1–32 letters, digits, _ - or . with no spaces.";

export function human(err: unknown): string {
  if (!(err instanceof HubbubError)) return err instanceof Error ? err.message : String(err);
  switch (err.code) {
    case "invalid_room":
      return ROOM_RULE;
    case "invalid_name":
      return /reserved/i.test(err.message) ? "That name is reserved. Pick another." : NAME_RULE;
    case "name_taken":
      return "Someone else is using that name right now. Pick another.";
    case "not_in_room":
      return /any room/.test(err.message) ? "You are not in any room. Join one first." : capitalise(err.message.replace(/^you are not in room (\S+)$/, "you are not in #$1")) + ".";
    case "no_such_user":
      return `${capitalise(err.message.replace(/^no user is called/, "Nobody here is called"))}.`;
    case "text_too_long":
      return "That message is too long to send.";
    case "rate_limited":
      return "You are sending too fast. Wait a moment and try again.";
    case "too_many_rooms":
      return "You are in as many rooms as you can be. Leave one to join another.";
    case "unauthorized":
      return /token/i.test(err.message) ? "Your name comes from your sign-in link, so it cannot be changed here." : "This server needs a sign-in link.";
    case "forbidden":
      return /author/.test(err.message) ? "You can only edit or delete your own messages." : sentence(err.message);
    case "not_found":
      return "That message is no longer there: it may have been deleted.";
    case "unavailable":
      return "The server could not do that just now. Try again in a moment.";
    case ClientErrorCode.ConnectionLost:
      return "The connection dropped before the server answered. Try again.";
    case ClientErrorCode.DeliveryUnknown:
      return "This may or may not have been delivered. Check before sending it again.";
    case ClientErrorCode.Closed:
      return "Not connected.";
    case ClientErrorCode.Refused:
      return /protocol/.test(err.message) ? "This page and the server speak different versions of the chat protocol. Reload the page." : "The server turned this connection away. Reload the page to try again.";
    default:
      return sentence(err.message);
  }
}

/** The server's words as a sentence; a room it names (refusals: banned, muted, slowmode, private) as the page names it, `#den`. */
const sentence = (m: string) => capitalise(m.replace(/\broom (?=[\w-]+( is|$| for ))/, "#")) + (/[.!?]$/.test(m) ? "" : ".");

/** A moderator took the user out of a room: who did it. */
export const removal = ({ room, reason, by }: ClientEvents["removed"]) => `${by.name} ${reason === "banned" ? "banned" : "removed"} you from #${room}.`;

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
