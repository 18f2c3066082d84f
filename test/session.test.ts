// Session's task queue and per-connection state, with a fake socket: no network.
import { describe, expect, it } from "bun:test";
import { Session, type Socket } from "../src/session.ts";

class FakeSocket implements Socket {
  sent: string[] = [];
  send(data: string) {
    this.sent.push(data);
    return data.length;
  }
  close() {}
  terminate() {}
  subscribe() {}
  unsubscribe() {}
  getBufferedAmount() {
    return 0;
  }
  ping() {
    return 0;
  }
  cork<T>(fn: () => T) {
    return fn();
  }
}

function session(errors: unknown[] = []) {
  const s = new Session("abc", { name: null, room: null, since: null }, { slowConsumerBytes: 1 << 20, ratePerSecond: 2, joinsPerSecond: 2, onEvict() {}, onError: (_s, err) => void errors.push(err) });
  s.attach(new FakeSocket());
  return s;
}

describe("Session.enqueue", () => {
  it("starts a task at once when nothing is running", () => {
    const s = session();
    let ran = false;
    s.enqueue(() => void (ran = true));
    expect(ran).toBe(true);
  });

  it("runs tasks strictly in order across awaits, including tasks enqueued from inside a task", async () => {
    const s = session();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    s.enqueue(async () => {
      order.push("a start");
      s.enqueue(() => void order.push("nested"));
      await gate;
      order.push("a end");
    });
    s.enqueue(() => void order.push("b"));
    s.enqueue(async () => {
      await Bun.sleep(1);
      order.push("c");
    });
    s.enqueue(() => void order.push("d"));
    expect(order).toEqual(["a start"]);
    release();
    await Bun.sleep(10);
    expect(order).toEqual(["a start", "a end", "nested", "b", "c", "d"]);
  });

  it("reports a failing task, sync or async, and goes on with the next", async () => {
    const errors: unknown[] = [];
    const s = session(errors);
    const order: string[] = [];
    s.enqueue(() => {
      throw new Error("sync");
    });
    s.enqueue(async () => {
      await Bun.sleep(1);
      throw new Error("async");
    });
    s.enqueue(() => void order.push("after"));
    await Bun.sleep(10);
    expect(errors.map((e) => (e as Error).message)).toEqual(["sync", "async"]);
    expect(order).toEqual(["after"]);
    let ran = false;
    s.enqueue(() => void (ran = true));
    expect(ran).toBe(true);
  });
});

describe("Session state", () => {
  it("keeps one member object until the name changes", () => {
    const s = session();
    s.name = "alice";
    const m = s.member;
    expect(s.member).toBe(m);
    expect(m).toEqual({ id: "abc", name: "alice" });
    s.name = "bob";
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
