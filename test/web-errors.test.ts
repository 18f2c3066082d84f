// How the page words failures (public/errors.ts): a sentence for people, never an error code, a
// close code or the server's regular expression for room names.
import { describe, expect, it } from "bun:test";
import { ClientErrorCode, ErrorCode, HubbubError } from "hubbub/client";
import { human } from "../public/errors.ts";

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
    ];
    for (const [err, text] of cases) expect(human(err)).toBe(text);
    // A final refusal names no close code; a server message without one of our wordings
    // (written for people, docs/protocol.md) is passed on as a sentence.
    expect(human(new HubbubError(ClientErrorCode.Refused, "the server refused the connection (4400 bad handshake parameter)"))).toBe("The server turned this connection away. Reload the page to try again.");
    for (const code of [...Object.values(ErrorCode), ...Object.values(ClientErrorCode)]) {
      const text = human(new HubbubError(code, "something went wrong"));
      expect(text).toMatch(/^[A-Z].*[.!?]$/);
    }
  });
});
