// The SDK's pure pieces, without sockets: backoff, the handshake URL, where a chat line goes,
// the exactly-once room stream and its epochs, user lists, the set of rooms, replies tied to
// requests by ref, and the outbox's cids.
import { describe, expect, it } from "bun:test";
import { reconnectDelay } from "../src/shared/backoff.ts";
import { runCommand } from "../src/client/command.ts";
import { ClientErrorCode, HubbubError } from "../src/client/errors.ts";
import { handshakeRequest } from "../src/client/handshake.ts";
import { Outbox, RESEND_WINDOW_MS } from "../src/client/outbox.ts";
import { Requests } from "../src/client/requests.ts";
import { RoomState } from "../src/client/room.ts";
import { Rooms } from "../src/client/rooms.ts";
import type { MessageFrame } from "../src/shared/protocol.ts";

const msg = (seq: number, id = `n-${seq}`): MessageFrame => ({ type: "message", room: "r", seq, id, ts: 0, from: { id: "u", name: "u" }, kind: "text", text: `t${seq}` });
const seqs = (ms: { seq: number }[]) => ms.map((m) => m.seq);

describe("reconnectDelay", () => {
  const opts = { initialDelayMs: 100, maxDelayMs: 1000 };
  it("is full jitter: anywhere from 0 up to the exponential ceiling, capped", () => {
    expect(reconnectDelay(0, opts, 0, () => 0)).toBe(0);
    expect(reconnectDelay(0, opts, 0, () => 0.999)).toBe(99);
    expect(reconnectDelay(3, opts, 0, () => 0.5)).toBe(400);
    expect(reconnectDelay(50, opts, 0, () => 0.999)).toBe(999);
  });
  it("adds the server's retryAfterMs as a floor", () => {
    expect(reconnectDelay(0, opts, 1000, () => 0)).toBe(1000);
    expect(reconnectDelay(2, opts, 1000, () => 0.5)).toBe(1200);
  });
});

describe("handshakeRequest", () => {
  const base = { url: "ws://h/ws?x=1", name: null, resume: null, room: "lobby" };
  const query = (url: string) => Object.fromEntries(new URL(url).searchParams);

  it("starts in the room and keeps the endpoint's own query; asks for a name only when it has one", () => {
    expect(handshakeRequest(base)).toEqual({ url: "ws://h/ws?x=1&room=lobby", protocols: ["hubbub.v2.batch", "hubbub.v2"] });
    expect(query(handshakeRequest({ ...base, name: "ann" }).url)).toEqual({ x: "1", name: "ann", room: "lobby" });
  });
  it("resumes the room from its position, leaving out what it does not know", () => {
    expect(query(handshakeRequest({ ...base, from: { since: 7, epoch: "e1" } }).url)).toEqual({ x: "1", room: "lobby", since: "7", epoch: "e1" });
    expect(query(handshakeRequest({ ...base, from: { since: 0 } }).url)).toEqual({ x: "1", room: "lobby", since: "0" });
  });
  it("offers a token as a subprotocol, never in the URL, and then sends no resume token", () => {
    const hs = handshakeRequest({ ...base, token: "jwt", resume: "r1" });
    expect(hs.protocols).toEqual(["hubbub.v2.batch", "hubbub.v2", "bearer.jwt"]);
    expect(hs.url).not.toContain("jwt");
    expect(query(hs.url).resume).toBeUndefined();
    expect(query(handshakeRequest({ ...base, resume: "r1" }).url).resume).toBe("r1");
  });
});

describe("runCommand", () => {
  const run = async (line: string, room?: string) => {
    const calls: unknown[][] = [];
    const rec = (name: string) => async (...args: unknown[]) => void calls.push([name, ...args]);
    const target = { send: rec("send"), join: rec("join"), leave: rec("leave"), setName: rec("setName"), direct: rec("direct"), who: rec("who"), help: rec("help") };
    await runCommand(target, line, room, rec("server"));
    return calls;
  };

  it("sends the lines that publish a message, to the given room", async () => {
    expect(await run("hi", "dev")).toEqual([["send", "hi", "dev"]]);
    expect(await run("/me waves")).toEqual([["send", "/me waves", undefined]]);
    expect(await run("/shrug")).toEqual([["send", "/shrug", undefined]]);
    expect(await run("//literal")).toEqual([["send", "//literal", undefined]]);
  });
  it("routes the commands it knows to their methods, the room defaulting to the given one", async () => {
    expect(await run("/join dev")).toEqual([["join", "dev"]]);
    expect(await run("/leave", "dev")).toEqual([["leave", "dev"]]);
    expect(await run("/leave ops", "dev")).toEqual([["leave", "ops"]]);
    expect(await run("/nick ann")).toEqual([["setName", "ann"]]);
    expect(await run("/msg bob hello there")).toEqual([["direct", "bob", "hello there"]]);
    expect(await run("/who", "dev")).toEqual([["who", "dev"]]);
    expect(await run("/help")).toEqual([["help"]]);
  });
  it("passes anything else to the server, including known commands missing their arguments", async () => {
    for (const line of ["/topic x", "/join", "/nick", "/msg bob", "/me"]) expect(await run(line)).toEqual([["server"]]);
  });
});

describe("RoomState", () => {
  const at = (seq: number, epoch = "e1") => ({ seq, epoch });
  const replay = (messages: MessageFrame[], recovered = true, epoch = "e1") => ({ epoch, recovered, messages });

  it("holds live messages during a sync and merges them with the replay, each once, in order", () => {
    const r = new RoomState("r", true);
    expect(r.resumePoint()).toBeUndefined();
    expect(r.wantsHistory).toBe(true);
    r.beginSync();
    expect(r.live(msg(3))).toEqual([]);
    expect(r.live(msg(4))).toEqual([]);
    const { messages, gap, reset } = r.endSync(at(3), replay([msg(1), msg(2), msg(3)]));
    expect(seqs(messages)).toEqual([1, 2, 3, 4]);
    expect({ gap, reset }).toEqual({ gap: null, reset: false });
    expect(r.live(msg(4))).toEqual([]);
    expect(seqs(r.live(msg(5)))).toEqual([5]);
  });

  it("after a live epoch frame, takes the new epoch's seqs from 1 and resumes from them", () => {
    const r = new RoomState("r");
    r.beginSync();
    r.endSync(at(9), null);
    expect(seqs(r.live(msg(10)))).toEqual([10]);
    r.restart("e2", 0);
    expect(seqs(r.live(msg(1)))).toEqual([1]);
    expect(r.resumePoint()).toEqual({ since: 1, epoch: "e2" });
    // Mid-sync, what was held and the replay are the old epoch's.
    r.beginSync();
    r.live(msg(2));
    r.restart("e3", 0);
    r.live(msg(1));
    expect(seqs(r.endSync(at(1, "e3"), replay([msg(2)], true, "e2")).messages)).toEqual([1]);
    expect(r.resumePoint()).toEqual({ since: 1, epoch: "e3" });
  });

  it("starts from the snapshot without history, keeping live messages that arrived during the join", () => {
    const r = new RoomState("r");
    expect(r.resumePoint()).toBeUndefined();
    r.beginSync();
    r.live(msg(7));
    expect(seqs(r.endSync(at(7), null).messages)).toEqual([7]);
    expect(r.resumePoint()).toEqual({ since: 7, epoch: "e1" });
  });

  it("resumes from its position in its epoch, and treats a replay from a new epoch as a reset", () => {
    const r = new RoomState("r");
    r.beginSync();
    r.endSync(at(5), null);
    r.live(msg(6));
    expect(r.resumePoint()).toEqual({ since: 6, epoch: "e1" });
    r.beginSync();
    const same = r.endSync(at(7), replay([msg(7)]));
    expect({ seqs: seqs(same.messages), reset: same.reset }).toEqual({ seqs: [7], reset: false });
    // The server restarted: seqs 1 and 2 again, in epoch e2. They are new, not duplicates.
    r.beginSync();
    const restarted = r.endSync(at(2, "e2"), replay([msg(1, "x"), msg(2, "y")], false, "e2"));
    expect({ seqs: seqs(restarted.messages), reset: restarted.reset, gap: restarted.gap }).toEqual({ seqs: [1, 2], reset: true, gap: null });
    expect(r.resumePoint()).toEqual({ since: 2, epoch: "e2" });
  });

  it("hands over the messages its list held when the room's numbering restarts, live or found on a rejoin", () => {
    const r = new RoomState("r");
    r.beginSync();
    r.endSync(at(0), null);
    r.list.append(msg(1));
    r.list.append(msg(2));
    expect(seqs([...r.restart("e2", 0)])).toEqual([1, 2]);
    expect(r.list.messages).toEqual([]);
    r.list.append(msg(1));
    r.beginSync();
    const found = r.endSync(at(3, "e3"), replay([msg(3)], false, "e3"));
    expect({ reset: found.reset, previous: seqs([...found.previous]) }).toEqual({ reset: true, previous: [1] });
    expect(seqs([...r.list.messages])).toEqual([]);
  });

  it("reports a gap when the server could not recover everything after its position", () => {
    const r = new RoomState("r");
    r.beginSync();
    r.endSync(at(2), null);
    r.beginSync();
    const late = r.endSync(at(10), replay([msg(6), msg(7), msg(8), msg(9), msg(10)], false));
    expect({ gap: late.gap, reset: late.reset }).toEqual({ gap: { fromSeq: 3, toSeq: 5 }, reset: false });
    r.beginSync();
    expect(r.endSync(at(12), replay([], false)).gap).toEqual({ fromSeq: 11, toSeq: 12 });
    // A new epoch whose newest page starts past seq 1: a reset, and a gap for what it left out.
    r.beginSync();
    expect(r.endSync(at(60, "e2"), replay([msg(11), msg(60)], false, "e2"))).toMatchObject({ reset: true, gap: { fromSeq: 1, toSeq: 10 } });
  });

  it("keeps only the join's ref-less replay, and only while syncing", () => {
    const r = new RoomState("r");
    const h = (extra: object) => ({ type: "history" as const, room: "r", epoch: "e1", messages: [], ...extra });
    expect(r.offerReplay(h({ recovered: true }))).toBe(false);
    r.beginSync();
    expect(r.offerReplay(h({ ref: "q1" }))).toBe(false);
    expect(r.offerReplay(h({}))).toBe(false);
    expect(r.offerReplay(h({ recovered: false }))).toBe(true);
    expect(r.takeReplay()?.recovered).toBe(false);
  });

  it("applies presence leaves before joins, and a rename is a join with the same id", () => {
    const r = new RoomState("r");
    r.setUsers([{ id: "a", name: "alice" }, { id: "b", name: "bob" }]);
    r.applyPresence([{ id: "b", name: "robert" }], []);
    r.addUsers([{ id: "c", name: "carol" }]);
    expect([...r.users.values()]).toEqual([{ id: "a", name: "alice" }, { id: "b", name: "robert" }, { id: "c", name: "carol" }]);
  });
});

describe("Rooms", () => {
  const make = (initial: string[]) => {
    const changes: string[][] = [];
    return { rooms: new Rooms(initial, false, (names) => changes.push(names)), changes };
  };
  const lost = new HubbubError(ClientErrorCode.ConnectionLost, "not connected");

  it("normalises the initial rooms, refuses an invalid one, and reports changes, not the start", () => {
    expect(() => make(["ok", "bad room!"])).toThrow(HubbubError);
    const { rooms, changes } = make(["Lobby", "dev"]);
    expect(rooms.names).toEqual(["lobby", "dev"]);
    expect(rooms.add("dev").added).toBe(false);
    expect(rooms.add("ops", true).added).toBe(true);
    expect(changes).toEqual([["lobby", "dev", "ops"]]);
  });
  it("starts a connection in the first room, or in the default room when none is left", () => {
    const { rooms, changes } = make(["dev"]);
    expect(rooms.handshakeRoom().name).toBe("dev");
    expect(rooms.leave("dev")?.name).toBe("dev");
    expect(rooms.first).toBeUndefined();
    expect(rooms.handshakeRoom().name).toBe("lobby");
    expect(changes).toEqual([[], ["lobby"]]);
  });
  it("fails a left room's join() with not_in_room, and keeps a room whose sync only lost the connection", async () => {
    const { rooms } = make(["a", "b"]);
    const a = rooms.get("a")!;
    const b = rooms.get("b")!;
    const waited = a.joined.promise.catch((err: HubbubError) => err.code);
    rooms.leave("a");
    expect(await waited).toBe("not_in_room");
    expect(rooms.holds(a)).toBe(false);
    rooms.failed(b, lost);
    expect(rooms.holds(b)).toBe(true);
    b.joined.promise.catch(() => {});
    rooms.failed(b, new HubbubError("unauthorized", "no"));
    expect(rooms.names).toEqual([]);
  });
  it("treats a room left and joined again as a new room: the old one's late failure does not drop it", () => {
    const { rooms } = make(["a"]);
    const old = rooms.get("a")!;
    old.joined.promise.catch(() => {});
    rooms.leave("a");
    const again = rooms.add("a").room;
    rooms.drop(old, new Error("late"));
    expect(rooms.get("a")).toBe(again);
    expect(rooms.holds(again)).toBe(true);
  });
});

describe("Requests", () => {
  it("settles each request with the one frame carrying its ref, an error rejecting it", async () => {
    const q = new Requests();
    const a = q.open();
    const b = q.open();
    expect(q.offer({ type: "users", room: "a", seq: 0, epoch: "e", count: 0, users: [], ref: a.ref })).toBe(true);
    expect(q.offer({ type: "error", code: "too_many_rooms", message: "no" })).toBe(false);
    expect(q.offer({ type: "error", code: "too_many_rooms", message: "no", ref: b.ref })).toBe(true);
    expect(await a.done).toMatchObject({ type: "users", room: "a" });
    await expect(b.done).rejects.toMatchObject({ code: "too_many_rooms" });
    expect(q.offer({ type: "pong", ref: "h1" })).toBe(false);
    expect(q.size).toBe(0);
  });

  it("fails every open request when the connection is lost", async () => {
    const q = new Requests();
    const a = q.open();
    q.failAll(new HubbubError(ClientErrorCode.ConnectionLost, "gone"));
    await expect(a.done).rejects.toMatchObject({ code: ClientErrorCode.ConnectionLost });
    expect(q.offer({ type: "pong", ref: a.ref })).toBe(false);
  });
});

describe("Outbox", () => {
  const ack = (ref: string, seq: number) => ({ type: "ack" as const, ref, room: "r", seq, id: `n-${seq}` });

  it("gives every send its own cid and keeps it when a send in doubt goes back to the queue", async () => {
    const o = new Outbox("tab1");
    const first = o.chat("one", "r");
    const second = o.chat("two", "r");
    const [a, b] = o.queued();
    expect(a!.frame.cid).not.toBe(b!.frame.cid);
    expect(a!.frame.cid.startsWith("tab1.")).toBe(true);
    o.markSent(a!, 0);
    o.markSent(b!, 0);
    expect(o.offer(ack(a!.ref, 1))).toBe(true);
    o.disconnected(1000);
    expect(o.queued().map((e) => e.frame.cid)).toEqual([b!.frame.cid]);
    o.markSent(o.queued()[0]!, 2000);
    expect(o.offer(ack(b!.ref, 2))).toBe(true);
    expect([(await first).seq, (await second).seq]).toEqual([1, 2]);
    expect(o.size).toBe(0);
  });

  it("fails a send in doubt with delivery_unknown once the server may have forgotten its cid", async () => {
    const o = new Outbox("t");
    const old = o.chat("old", "r");
    o.markSent(o.queued()[0]!, 0);
    o.disconnected(RESEND_WINDOW_MS + 1);
    await expect(old).rejects.toMatchObject({ code: ClientErrorCode.DeliveryUnknown });
    expect(o.size).toBe(0);
  });

  it("ignores replies to entries it has not sent, and rejects on an error with its ref", async () => {
    const o = new Outbox("t");
    const d = o.direct("bob", "hi");
    const e = o.queued()[0]!;
    expect(o.offer({ type: "error", code: "no_such_user", message: "no", ref: e.ref })).toBe(false);
    o.markSent(e);
    expect(o.offer({ type: "error", code: "no_such_user", message: "no", ref: e.ref })).toBe(true);
    await expect(d).rejects.toMatchObject({ code: "no_such_user" });
  });
});
