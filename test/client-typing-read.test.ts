// The SDK's typing indicators and read markers against a real server: notifyTyping() throttles
// and reaches the other members' `typists`, which clear on the typist's message; markRead()
// raises the marker at once, reaches the user's other tabs, and comes back after a reconnect
// from the join's `lastRead`.
import { describe, expect, it } from "bun:test";
import { startServer } from "./helpers.ts";
import { nextEvent, sdkClient } from "./sdk.ts";

describe("HubbubClient typing and read markers", () => {
  it("shows who is typing to the others, once per interval, until their message arrives", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    await using alice = await sdkClient(app, { name: "alice" });
    await using bob = await sdkClient(app, { name: "bob" });
    const shown = nextEvent(alice, "typists", (e) => e.users.length === 1);
    expect(bob.notifyTyping()).toBe(true);
    expect(bob.notifyTyping("lobby")).toBe(false);
    expect((await shown).users).toEqual([{ id: bob.id!, name: "bob" }]);
    expect(alice.typing("lobby")).toEqual([{ id: bob.id!, name: "bob" }]);
    expect(bob.typing("lobby")).toEqual([]);
    const cleared = nextEvent(alice, "typists", (e) => e.users.length === 0);
    await bob.send("done typing");
    await cleared;
    expect(alice.typing("lobby")).toEqual([]);
    expect(bob.notifyTyping("nowhere")).toBe(false);
  });

  it("marks read here, in the user's other tab, and again after a reconnect", async () => {
    await using app = await startServer();
    await using tab1 = await sdkClient(app, { name: "alice" });
    await using tab2 = await sdkClient(app, { resume: tab1.resume! });
    await using bob = await sdkClient(app, { name: "bob" });
    await bob.send("one");
    const two = await bob.send("two");
    const told = nextEvent(tab2, "lastRead", (e) => e.seq === two.seq);
    tab1.markRead("lobby", two.seq);
    expect(tab1.lastRead("lobby")).toBe(two.seq);
    await told;
    expect(tab2.lastRead("lobby")).toBe(two.seq);
    expect(() => tab1.markRead("nowhere", 1)).toThrow();
    // Markers never go down.
    tab1.markRead("lobby", 1);
    expect(tab1.lastRead("lobby")).toBe(two.seq);

    await tab1.close();
    await tab2.close();
    await using again = await sdkClient(app, { resume: tab1.resume! });
    expect(again.lastRead("lobby")).toBe(two.seq);
    expect(bob.lastRead("lobby")).toBe(0);
  });
});
