// Idempotent sends: a `chat` or `direct` with a `cid` the server has seen from this user is not
// published again; its sender gets the original answer (same seq and id), on a retry on the same
// connection, after a reconnect, or from another tab.
import { describe, expect, it } from "bun:test";
import { mintToken } from "../src/auth.ts";
import type { ServerFrame } from "../src/shared/protocol.ts";
import { startServer, TestClient } from "./helpers.ts";

type Ack = Extract<ServerFrame, { type: "ack" }>;

describe("cid", () => {
  it("a retried chat with a known cid is acked with the original seq and id, and published once", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice", room: "den" });
    await using b = await TestClient.join(app, { name: "bob", room: "den" });
    const first = (await a.request({ type: "chat", text: "once", cid: "c-1" })) as Ack;
    expect(first).toMatchObject({ type: "ack", cid: "c-1", seq: 1 });
    const again = (await a.request({ type: "chat", text: "once", cid: "c-1" })) as Ack;
    expect({ seq: again.seq, id: again.id, cid: again.cid }).toEqual({ seq: first.seq, id: first.id, cid: "c-1" });
    const other = (await a.request({ type: "chat", text: "twice", cid: "c-2" })) as Ack;
    expect(other.seq).toBe(2);
    await b.sync();
    expect(b.all("message").map((m) => m.text)).toEqual(["once", "twice"]);
  });

  it("holds across a reconnect of a returning guest, and across a token user's tabs", async () => {
    await using app = await startServer();
    const a = await TestClient.join(app, { name: "alice", room: "den" });
    const first = (await a.request({ type: "chat", text: "hello", cid: "x" })) as Ack;
    await a.close();
    await using back = await TestClient.join(app, { resume: a.resume!, room: "den" });
    expect(((await back.request({ type: "chat", text: "hello", cid: "x" })) as Ack).seq).toBe(first.seq);
    // Another user may use the same cid: cids are per user.
    await using bob = await TestClient.join(app, { name: "bob", room: "den" });
    expect(((await bob.request({ type: "chat", text: "mine", cid: "x" })) as Ack).seq).toBe(first.seq + 1);

    const SECRET = "s".repeat(40);
    await using secured = await startServer({ authSecret: SECRET });
    const token = await mintToken(SECRET, "u1", "carol", 60);
    await using tab1 = await TestClient.join(secured, { token, room: "den" });
    await using tab2 = await TestClient.join(secured, { token, room: "den" });
    const sent = (await tab1.request({ type: "chat", text: "hi", cid: "t" })) as Ack;
    expect(((await tab2.request({ type: "chat", text: "hi", cid: "t" })) as Ack).id).toBe(sent.id);
  });

  it("a retried direct message with a known cid is answered with the original and delivered once", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice" });
    await using b = await TestClient.join(app, { name: "bob" });
    const first = await a.request({ type: "direct", to: "bob", text: "psst", cid: "d1" });
    const again = await a.request({ type: "direct", to: "bob", text: "psst", cid: "d1" });
    expect((again as { id: string }).id).toBe((first as { id: string }).id);
    expect(first).toMatchObject({ cid: "d1" });
    await b.sync();
    expect(b.all("direct")).toHaveLength(1);
    expect(b.all("direct")[0]!.cid).toBeUndefined(); // the cid is the sender's business
  });

  it("refuses a cid that is empty or over 64 characters", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app);
    for (const cid of ["", "x".repeat(65), 5]) expect(await a.request({ type: "chat", text: "hi", cid })).toMatchObject({ type: "error", code: "invalid_message" });
  });
});
