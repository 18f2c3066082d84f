// How the page words failures (public/errors.ts): a sentence for people, never an error code, a
// close code or the server's regular expression for room names.
import { describe, expect, it } from "bun:test";
import { ClientErrorCode, ErrorCode, HubbubError } from "hubbub/client";
import { human, removal } from "../public/errors.ts";

describe("the page's wording of failures", () => {
  it("says what happened and what to do, without codes or patterns", () => {
    const cases: [HubbubError, string][] = [
      [new HubbubError(ErrorCode.InvalidRoom, "rooms match ^[a-z0-9][a-z0-9_-]{0,31}$"), "Room names are 1–32 characters: a–z, 0–9, _ and -, starting with a letter or digit."],
      [new HubbubError(ErrorCode.NotInRoom, "you are not in room den"), "You are not in #den."],
      [new HubbubError(ErrorCode.NotInRoom, "you are not in any room"), "You are not in any room. Join one first."],
      [new HubbubError(ErrorCode.NoSuchUser, "no user is called bob"), "Nobody here is called bob."],
      [new HubbubError(ErrorCode.RateLimited, "slow down: too many messages"), "You are sending too fast. Wait a moment and try again."],
      [new HubbubError(ErrorCode.Unauthorized, "your name comes from your token"), "Your name comes from your sign-in link, so it cannot be changed here."],
      [new HubbubError(ClientErrorCode.DeliveryUnknown, "…"), "This may or may not have been delivered. Check before sending it again."],
      [new HubbubError(ErrorCode.UnknownCommand, "unknown command /frob; try /help"), "Unknown command /frob; try /help."],
      // Room refusals name the room as the page does.
      [new HubbubError(ErrorCode.Forbidden, "only its author may change a message"), "You can only edit or delete your own messages."],
      [new HubbubError(ErrorCode.Forbidden, "you may not join room vault"), "You may not join #vault."],
      [new HubbubError(ErrorCode.Forbidden, "room den is moderated: only its moderators post"), "#den is moderated: only its moderators post."],
      [new HubbubError(ErrorCode.Forbidden, "only the room's owner and moderators may do that"), "Only the room's owner and moderators may do that."],
      [new HubbubError(ErrorCode.Forbidden, "a room keeps at most 1000 bans"), "A room keeps at most 1000 bans."],
      [new HubbubError(ErrorCode.Banned, "you are banned from room den"), "You are banned from #den."],
      [new HubbubError(ErrorCode.Muted, "you are muted in room den for 50 more seconds"), "You are muted in #den for 50 more seconds."],
      [new HubbubError(ErrorCode.SlowMode, "room den is in slowmode: you may post again in 3 seconds"), "#den is in slowmode: you may post again in 3 seconds."],
    ];
    for (const [err, text] of cases) expect(human(err)).toBe(text);
    const by = { id: "u1", name: "alice" };
    expect(removal({ room: "den", reason: "kicked", by })).toBe("alice removed you from #den.");
    expect(removal({ room: "den", reason: "banned", by })).toBe("alice banned you from #den.");
    // A final refusal names no close code; a server message without one of our wordings
    // (written for people, docs/protocol.md) is passed on as a sentence.
    expect(human(new HubbubError(ClientErrorCode.Refused, "the server refused the connection (4400 bad handshake parameter)"))).toBe("The server turned this connection away. Reload the page to try again.");
    for (const code of [...Object.values(ErrorCode), ...Object.values(ClientErrorCode)]) {
      const text = human(new HubbubError(code, "something went wrong"));
      expect(text).toMatch(/^[A-Z].*[.!?]$/);
    }
  });
});
