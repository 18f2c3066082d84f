// The idle wheel on its own: connections removed from the middle of a slot leave every other
// connection of that slot due, exactly once, at its time.
import { describe, expect, it } from "bun:test";
import { IdleWheel } from "../src/idle-wheel.ts";
import { Session } from "../src/session.ts";
import { handshake, policy } from "./fakes.ts";

describe("IdleWheel", () => {
  it("checks each scheduled connection once when its slot comes, and none that was removed", () => {
    const checked: string[] = [];
    const wheel = new IdleWheel(100, (s) => (checked.push(s.conn), null), 0);
    const sessions = Array.from({ length: 6 }, (_, i) => new Session(`c${i}`, handshake(), policy(), undefined, 0));
    for (const s of sessions) wheel.schedule(s, 250);
    wheel.remove(sessions[1]!); // from the middle: the last takes its place
    wheel.remove(sessions[5]!); // the last itself
    wheel.remove(sessions[1]!); // twice: nothing more happens
    expect(wheel.size).toBe(4);
    wheel.advance(200);
    expect(checked).toEqual([]);
    wheel.advance(300);
    expect(checked.sort()).toEqual(["c0", "c2", "c3", "c4"]);
    expect(wheel.size).toBe(0);
    expect(sessions.every((s) => s.idleSlot === -1)).toBe(true);
  });

  it("moves a rescheduled connection to its new slot, leaving the old slot's others in place", () => {
    const checked: [string, number][] = [];
    const wheel = new IdleWheel(100, (s, now) => (checked.push([s.conn, now]), null), 0);
    const [a, b, c] = ["a", "b", "c"].map((id) => new Session(id, handshake(), policy(), undefined, 0));
    for (const s of [a!, b!, c!]) wheel.schedule(s, 100);
    wheel.schedule(a!, 500);
    wheel.advance(100);
    expect(checked.map(([id]) => id).sort()).toEqual(["b", "c"]);
    wheel.advance(500);
    expect(checked.at(-1)).toEqual(["a", 500]);
    expect(wheel.size).toBe(0);
  });
});
