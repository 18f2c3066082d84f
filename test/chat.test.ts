import { describe, expect, it } from "bun:test";
import { ErrorCode } from "../src/shared/codes.ts";
import { SHRUG } from "../src/shared/slash.ts";
import type { MessageFrame } from "../src/shared/protocol.ts";
import { TestClient, startServer } from "./helpers.ts";

describe("chat", () => {
  it("delivers a message to every room member, sender included, and acks the ref", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice", room: "den" });
    await using b = await TestClient.join(app, { name: "bob", room: "den" });
    await using other = await TestClient.join(app, { name: "carol", room: "elsewhere" });
    a.send({ type: "chat", text: "hi bob", ref: "m1" });
    const mine = await a.next("message");
    const ack = await a.next("ack");
    const theirs = await b.next("message");
    expect(mine).toEqual(theirs);
    expect(mine).toMatchObject({ room: "den", seq: 1, from: { id: a.id, name: "alice" }, kind: "text", text: "hi bob" });
    expect(typeof mine.ts).toBe("number");
    expect(ack).toEqual({ type: "ack", ref: "m1", room: "den", seq: 1, id: mine.id });
    await other.sync();
    expect(other.all("message")).toEqual([]);
  });

  it("stamps `from` itself and never echoes unknown fields", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice" });
    a.send({ type: "chat", text: "hi", from: { id: "x", name: "admin" }, extra: "<b>", seq: 99, kind: "action" });
    const m = await a.next("message");
    expect(m.from).toEqual({ id: a.id, name: "alice" });
    expect(m.kind).toBe("text");
    expect(m.seq).toBe(1);
    expect(JSON.stringify(m)).not.toContain("extra");
  });

  it("acks only chats that carry a ref, and echoes numeric refs", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app);
    a.send({ type: "chat", text: "no ref" });
    a.send({ type: "chat", text: "numeric", ref: 7 });
    expect(await a.next("ack")).toMatchObject({ ref: 7, seq: 2 });
    await a.sync();
    expect(a.all("ack")).toHaveLength(1);
  });

  it("delivers every message of many concurrent senders exactly once, in the same seq order to all", async () => {
    await using app = await startServer({ rateLimit: 1000 });
    const senders = await Promise.all(Array.from({ length: 5 }, (_, i) => TestClient.join(app, { name: `s${i}`, room: "race" })));
    const readers = await Promise.all(Array.from({ length: 3 }, (_, i) => TestClient.join(app, { name: `r${i}`, room: "race" })));
    const perSender = 40;
    for (let n = 0; n < perSender; n++) for (const s of senders) s.send({ type: "chat", text: `${s.name}:${n}` });
    const total = perSender * senders.length;
    const streams = await Promise.all(
      [...senders, ...readers].map(async (c) => {
        const got: MessageFrame[] = [];
        while (got.length < total) got.push(await c.next("message"));
        return got;
      }),
    );
    const seqs = streams[0]!.map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const s of streams) expect(s.map((m) => `${m.seq}:${m.text}`)).toEqual(streams[0]!.map((m) => `${m.seq}:${m.text}`));
    // Each sender's own messages keep the order it sent them in.
    for (const s of senders) {
      const mine = streams[0]!.filter((m) => m.from.name === s.name).map((m) => m.text);
      expect(mine).toEqual(Array.from({ length: perSender }, (_, n) => `${s.name}:${n}`));
    }
    await Promise.all([...senders, ...readers].map((c) => c.close()));
  });

  it("uses the first room by default, an explicit joined room when named, and refuses others with not_in_room", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice", room: "one" });
    a.send({ type: "join", room: "two" });
    await a.next("users");
    expect((await a.chat("default")).room).toBe("one");
    expect((await a.chat("there", "TWO")).room).toBe("two");
    a.send({ type: "chat", text: "x", room: "three", ref: "q" });
    expect(await a.error(ErrorCode.NotInRoom)).toMatchObject({ ref: "q" });
    a.send({ type: "chat", text: "x", room: "Bad Room" });
    await a.error(ErrorCode.InvalidRoom);
  });

  it("counts text length in code points", async () => {
    await using app = await startServer({ maxTextLength: 5 });
    await using a = await TestClient.join(app);
    expect((await a.chat("😀😀😀😀😀")).seq).toBe(1);
    a.send({ type: "chat", text: "😀😀😀😀😀😀", ref: "long" });
    expect(await a.error(ErrorCode.TextTooLong)).toMatchObject({ ref: "long" });
    a.send({ type: "chat", text: "   " });
    await a.error(ErrorCode.InvalidMessage);
  });

  it("answers ping with pong carrying the ref", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app);
    a.send({ type: "ping", ref: "p1" });
    expect(await a.next("pong")).toEqual({ type: "pong", ref: "p1" });
    a.send({ type: "ping" });
    expect(await a.next("pong")).toEqual({ type: "pong" });
  });
});

describe("rooms", () => {
  it("join sends the user list and leave answers left; a room holds at most 16 per connection", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice" });
    a.send({ type: "join", room: "Games" });
    expect(await a.next("users")).toMatchObject({ room: "games", users: [{ id: a.id, name: "alice" }] });
    a.send({ type: "leave", room: "games" });
    expect(await a.next("left")).toEqual({ type: "left", room: "games" });
    a.send({ type: "leave", room: "games" });
    await a.error(ErrorCode.NotInRoom);
    for (let i = 1; i < 16; i++) a.send({ type: "join", room: `r${i}` });
    for (let i = 1; i < 16; i++) await a.next("users");
    a.send({ type: "join", room: "r16" });
    await a.error(ErrorCode.TooManyRooms);
    a.send({ type: "join", room: "bad room" });
    await a.error(ErrorCode.InvalidRoom);
  });

  it("a connection that left every room gets not_in_room for a plain chat", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app);
    a.send({ type: "leave", room: "lobby" });
    await a.next("left");
    a.send({ type: "chat", text: "anyone?" });
    await a.error(ErrorCode.NotInRoom);
  });
});

describe("direct messages", () => {
  it("reaches the named user and echoes to the sender with the ref", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice", room: "x" });
    await using b = await TestClient.join(app, { name: "bob", room: "y" });
    a.send({ type: "direct", to: "BOB", text: "psst", ref: "d1" });
    const got = await b.next("direct");
    const echo = await a.next("direct");
    expect(got).toMatchObject({ from: { id: a.id, name: "alice" }, to: { id: b.id, name: "bob" }, text: "psst" });
    expect(echo).toEqual({ ...got, ref: "d1" });
    a.send({ type: "direct", to: "nobody", text: "hello?", ref: "d2" });
    expect(await a.error(ErrorCode.NoSuchUser)).toMatchObject({ ref: "d2" });
  });

  it("a direct message to oneself arrives once", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice" });
    a.send({ type: "direct", to: "alice", text: "note to self" });
    await a.next("direct");
    await a.sync();
    expect(a.all("direct")).toHaveLength(1);
  });
});

describe("slash commands", () => {
  it("/shrug and /me", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice" });
    a.send({ type: "chat", text: "/shrug" });
    expect(await a.next("message")).toMatchObject({ kind: "text", text: SHRUG });
    a.send({ type: "chat", text: "/shrug oh well" });
    expect(await a.next("message")).toMatchObject({ kind: "text", text: `oh well ${SHRUG}` });
    a.send({ type: "chat", text: "/me waves", ref: "w" });
    expect(await a.next("message")).toMatchObject({ kind: "action", text: "waves" });
    expect(await a.next("ack")).toMatchObject({ ref: "w" });
    a.send({ type: "chat", text: "/me" });
    expect((await a.error(ErrorCode.InvalidMessage)).type).toBe("error");
  });

  it("// sends a literal slash and unknown commands are refused", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app);
    a.send({ type: "chat", text: "//shrug is a command" });
    expect(await a.next("message")).toMatchObject({ text: "/shrug is a command" });
    a.send({ type: "chat", text: "/frobnicate now", ref: "f" });
    expect(await a.error(ErrorCode.UnknownCommand)).toMatchObject({ ref: "f" });
    a.send({ type: "chat", text: "/" });
    await a.error(ErrorCode.UnknownCommand);
  });

  it("/nick renames (refusing taken and invalid names)", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice" });
    await using b = await TestClient.join(app, { name: "bob" });
    a.send({ type: "chat", text: "/nick Bob", ref: "n1" });
    expect(await a.error(ErrorCode.NameTaken)).toMatchObject({ ref: "n1" });
    a.send({ type: "chat", text: "/nick not valid!" });
    await a.error(ErrorCode.InvalidName);
    a.send({ type: "chat", text: "/nick" });
    await a.error(ErrorCode.InvalidMessage);
    expect(await a.request({ type: "chat", text: "/nick alicia" })).toMatchObject({ type: "identity", id: a.id, name: "alicia" });
    expect((await a.chat("renamed")).seq).toBeGreaterThan(0);
    expect((await b.next("message")).from).toEqual({ id: a.id, name: "alicia" });
    // The old name is free again, the new one is held.
    await using c = await TestClient.join(app, { name: "alice" });
    const d = await TestClient.connect(app, { name: "ALICIA" });
    await d.error(ErrorCode.NameTaken);
    expect(await a.request({ type: "nick", name: "ALICIA" })).toMatchObject({ type: "identity", name: "ALICIA" });
  });

  it("/join, /leave, /who, /msg and /help", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "alice" });
    await using b = await TestClient.join(app, { name: "bob" });
    a.send({ type: "chat", text: "/join attic" });
    expect(await a.next("users")).toMatchObject({ room: "attic" });
    a.send({ type: "chat", text: "/join" });
    await a.error(ErrorCode.InvalidMessage);
    a.send({ type: "chat", text: "/who" });
    const who = await a.next("users");
    expect(who.room).toBe("lobby");
    expect(who.users.map((u) => u.name).sort()).toEqual(["alice", "bob"]);
    a.send({ type: "chat", text: "/who attic" });
    expect((await a.next("users")).users.map((u) => u.name)).toEqual(["alice"]);
    a.send({ type: "chat", text: "/who cellar", ref: "w1" });
    expect(await a.error(ErrorCode.NotInRoom)).toMatchObject({ ref: "w1" });
    a.send({ type: "chat", text: "/msg bob  hello   there " });
    expect(await b.next("direct")).toMatchObject({ text: "hello   there", from: { name: "alice" } });
    a.send({ type: "chat", text: "/msg bob" });
    await a.error(ErrorCode.InvalidMessage);
    a.send({ type: "chat", text: "/msg nobody hi" });
    await a.error(ErrorCode.NoSuchUser);
    a.send({ type: "chat", text: "/leave attic" });
    expect(await a.next("left")).toEqual({ type: "left", room: "attic" });
    a.send({ type: "chat", text: "/leave" });
    expect(await a.next("left")).toEqual({ type: "left", room: "lobby" });
    a.send({ type: "chat", text: "/HELP" });
    const help = await a.next("notice");
    for (const cmd of ["/shrug", "/me", "/nick", "/join", "/leave", "/msg", "/who", "/help"]) expect(help.text).toContain(cmd);
  });
});
