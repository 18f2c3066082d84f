// Session's per-connection state and its SerialQueue, with a fake socket: no network, no sleeps
// (tasks wait on gates the test opens).
import { describe, expect, it } from "bun:test";
import { SerialQueue } from "../src/serial-queue.ts";
import { Session } from "../src/session.ts";
import type { Ref } from "../src/shared/protocol.ts";
import { FakeSocket, handshake, policy } from "./fakes.ts";

/** A queue on its own, with the bound and failure handler a test gives it. */
class Queue extends SerialQueue {
  constructor(
    private readonly bound: number,
    private readonly onFail: (err: unknown, ref: Ref | undefined) => void,
  ) {
    super();
  }
  protected get maxWaiting(): number {
    return this.bound;
  }
  protected taskFailed(err: unknown, ref: Ref | undefined): void {
    this.onFail(err, ref);
  }
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe("SerialQueue", () => {
  it("starts a task at once when nothing is running", () => {
    const q = new Queue(4, () => {});
    let ran = false;
    q.push(() => void (ran = true));
    expect(ran).toBe(true);
  });

  it("runs tasks strictly in order across awaits, including tasks queued from inside a task", async () => {
    const q = new Queue(8, () => {});
    const order: string[] = [];
    const a = gate();
    const c = gate();
    const done = gate();
    q.push(async () => {
      order.push("a start");
      q.push(() => void order.push("nested"));
      await a.opened;
      order.push("a end");
    });
    q.push(() => void order.push("b"));
    q.push(async () => {
      await c.opened;
      order.push("c");
    });
    q.push(() => {
      order.push("d");
      done.open();
    });
    expect(order).toEqual(["a start"]);
    a.open();
    c.open();
    await done.opened;
    expect(order).toEqual(["a start", "a end", "nested", "b", "c", "d"]);
  });

  it("reports a failing task, sync or async, with its ref, and goes on with the next", async () => {
    const errors: [string, unknown][] = [];
    const q = new Queue(8, (err, ref) => void errors.push([(err as Error).message, ref]));
    const done = gate();
    q.push(() => {
      throw new Error("sync");
    }, "r1");
    q.push(async () => {
      await Promise.resolve();
      throw new Error("async");
    }, 2);
    q.push(() => done.open());
    await done.opened;
    expect(errors).toEqual([["sync", "r1"], ["async", 2]]);
    let ran = false;
    q.push(() => void (ran = true));
    expect(ran).toBe(true);
  });

  it("refuses work past its bound while a task is waiting, except when forced", async () => {
    const q = new Queue(2, () => {});
    const g = gate();
    const done = gate();
    q.push(() => g.opened);
    expect(q.push(() => {})).toBe(true);
    expect(q.push(() => {})).toBe(true);
    expect(q.push(() => {})).toBe(false);
    expect(q.depth).toBe(2);
    expect(q.push(() => done.open(), undefined, true)).toBe(true);
    g.open();
    await done.opened;
    expect(q.depth).toBe(0);
  });
});

describe("Session state", () => {
  const session = () => {
    const s = new Session("abc", handshake(), policy({ ratePerSecond: 2 }));
    s.attach(new FakeSocket());
    return s;
  };

  it("keeps one member object until the name changes", () => {
    const s = session();
    s.claimed("alice", "alice", { id: "abc", name: "alice" });
    const m = s.member;
    expect(s.member).toBe(m);
    expect(m).toEqual({ id: "abc", name: "alice" });
    s.claimed("bob", "bob", { id: "abc", name: "bob" });
    expect(s.member).toEqual({ id: "abc", name: "bob" });
    expect(m.name).toBe("alice");
  });

  it("rate-limits from a full bucket however long after connecting the first message comes", () => {
    const s = session();
    const t = Date.now() + 60_000;
    expect([s.allowMessage(t), s.allowMessage(t), s.allowMessage(t), s.allowMessage(t), s.allowMessage(t)]).toEqual([true, true, true, true, false]);
    expect(s.allowMessage(t + 500)).toBe(true);
  });
});
