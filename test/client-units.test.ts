// The SDK's pure pieces, without sockets: backoff, the exactly-once room stream, user lists,
// and how replies and ref-less errors are tied to requests.
import { describe, expect, it } from "bun:test";
import { reconnectDelay } from "../src/shared/backoff.ts";
import { Requests } from "../src/client/requests.ts";
import { RoomState } from "../src/client/room.ts";
import type { MessageFrame } from "../src/shared/protocol.ts";

const msg = (seq: number, id = `n-${seq}`): MessageFrame => ({ type: "message", room: "r", seq, id, ts: 0, from: { id: "u", name: "u" }, kind: "text", text: `t${seq}` });
const seqs = (ms: MessageFrame[]) => ms.map((m) => m.seq);

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

describe("RoomState", () => {
  it("holds live messages during a sync and merges them with the replay, each once, in order", () => {
    const r = new RoomState("r", true);
    expect(r.resumeSince()).toBe(0);
    r.beginSync();
    expect(r.live(msg(3))).toEqual([]);
    expect(r.live(msg(4))).toEqual([]);
    const { messages, gap } = r.endSync(3, [msg(1), msg(2), msg(3)]);
    expect(seqs(messages)).toEqual([1, 2, 3, 4]);
    expect(gap).toBeNull();
    expect(r.live(msg(4))).toEqual([]);
    expect(seqs(r.live(msg(5)))).toEqual([5]);
  });

  it("starts from the snapshot without history, keeping live messages that arrived during the join", () => {
    const r = new RoomState("r");
    expect(r.resumeSince()).toBeUndefined();
    r.beginSync();
    r.live(msg(7));
    expect(seqs(r.endSync(7, null).messages)).toEqual([7]);
    expect(r.resumeSince()).toBe(6);
  });

  it("resumes one message early, to check the message it last saw is still there", () => {
    const r = new RoomState("r");
    r.beginSync();
    r.endSync(5, null);
    expect(r.resumeSince()).toBe(5); // seq 5 came from the snapshot: nothing to compare
    r.live(msg(6));
    expect(r.resumeSince()).toBe(5);
    expect(r.isReset(6, [msg(6)])).toBe(false);
    expect(r.isReset(9, [msg(6, "other-node-1"), msg(7)])).toBe(true);
    expect(r.isReset(2, [])).toBe(true);
    r.restart();
    r.beginSync();
    expect(seqs(r.endSync(2, [msg(1, "x"), msg(2, "y")]).messages)).toEqual([1, 2]);
  });

  it("reports a gap when the replay starts past what it had", () => {
    const r = new RoomState("r");
    r.beginSync();
    r.endSync(2, null);
    r.beginSync();
    expect(r.endSync(10, [msg(6), msg(7), msg(8), msg(9), msg(10)]).gap).toEqual({ fromSeq: 3, toSeq: 5 });
    r.beginSync();
    expect(r.endSync(12, []).gap).toEqual({ fromSeq: 11, toSeq: 12 });
  });

  it("applies presence leaves before joins, so a rename keeps one entry per id", () => {
    const r = new RoomState("r");
    r.setUsers([{ id: "a", name: "alice" }, { id: "b", name: "bob" }]);
    r.applyPresence([{ id: "b", name: "robert" }], [{ id: "b", name: "bob" }]);
    expect([...r.users.values()]).toEqual([{ id: "a", name: "alice" }, { id: "b", name: "robert" }]);
  });
});

describe("Requests", () => {
  it("gives each request its replies and the ref-less errors that arrive before its pong", async () => {
    const q = new Requests();
    const a = q.open((f) => f.type === "users" && f.room === "a");
    const b = q.open((f) => f.type === "users" && f.room === "b");
    q.offer({ type: "users", room: "a", seq: 0, users: [] });
    expect(q.offer({ type: "pong", ref: a.ref })).toBe(true);
    q.offer({ type: "error", code: "too_many_rooms", message: "no" });
    q.offer({ type: "pong", ref: b.ref });
    expect(await a.done).toEqual([{ type: "users", room: "a", seq: 0, users: [] }]);
    await expect(b.done).rejects.toMatchObject({ code: "too_many_rooms" });
    expect(q.offer({ type: "pong", ref: "h1" })).toBe(false);
  });
});
