// The SDK's stored-message API over real sockets: edit, delete, react, and each room's message
// list kept current, live and across a reconnect that replays the changes it missed.
import { describe, expect, it } from "bun:test";
import { HubbubError } from "hubbub/client";
import { startServer, tempDir } from "./helpers.ts";
import { gatedWebSocket, nextEvent, sdkClient } from "./sdk.ts";

describe("HubbubClient: edits, deletes, reactions", () => {
  it("keeps messages(room) current as changes arrive, live and replayed after a reconnect", async () => {
    using dir = tempDir();
    await using app = await startServer({ dataDir: dir.path });
    const gate = gatedWebSocket();
    await using alice = await sdkClient(app, { name: "alice", rooms: ["den"] });
    await using bob = await sdkClient(app, { name: "bob", rooms: ["den"], WebSocket: gate.WebSocket });
    const ack = await alice.send("helo");
    const seen = nextEvent(bob, "message");
    await seen;

    const edited = nextEvent(bob, "changed", (e) => e.message.text === "hello");
    await alice.edit("den", ack.id, "hello");
    expect((await edited).message).toMatchObject({ id: ack.id, text: "hello", edited: expect.any(Number) });
    const reacted = nextEvent(alice, "changed", (e) => e.message.reactions !== undefined);
    await bob.react("den", ack.id, "🎉");
    await reacted;
    expect(alice.messages("den")[0]).toMatchObject({ text: "hello", reactions: { "🎉": [bob.id] } });
    await expect(bob.edit("den", ack.id, "mine now")).rejects.toMatchObject({ code: "forbidden" });
    await expect(bob.delete("den", ack.id)).rejects.toMatchObject({ code: "forbidden" });
    await expect(bob.react("den", "no-such", "🎉")).rejects.toMatchObject({ code: "not_found" });
    await expect(bob.react("den", ack.id, "x")).rejects.toBeInstanceOf(HubbubError);

    // Bob drops off; what changes meanwhile reaches him on his way back, once, in order.
    gate.block();
    const away = nextEvent(bob, "state", (s) => s.state === "reconnecting");
    for (const s of app.hub.all()) if (s.name === "bob") s.evict(4008);
    await away;
    await alice.react("den", ack.id, "🎉");
    const second = await alice.send("second");
    await alice.delete("den", ack.id);
    const back = nextEvent(bob, "deleted");
    gate.unblock();
    await back;
    expect(bob.messages("den").map((m) => [m.seq, m.text, m.deleted ?? false])).toEqual([
      [1, "", true],
      [second.seq, "second", false],
    ]);
    expect(bob.messages("den")[0]!.reactions).toBeUndefined();
    expect(alice.messages("den")).toEqual(bob.messages("den"));
  });
});
