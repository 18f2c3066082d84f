// The after-burst collection's schedule (src/reclaim.ts): never during a storm of opens or
// closes, once after it.
import { expect, test } from "bun:test";
import { Reclaimer } from "../src/reclaim.ts";

function rig(afterChanges = 3, quietMs = 1000) {
  const runs: number[] = [];
  let now = 0;
  const r = new Reclaimer(() => runs.push(now), now, afterChanges, quietMs);
  return { r, runs, at: (t: number) => ((now = t), r.tick(t)) };
}

test("a burst of opens is followed by one collection once it has been quiet long enough", () => {
  const { r, runs, at } = rig();
  for (let i = 0; i < 5; i++) r.changed();
  expect(at(100)).toBe(false); // the tick that first sees the opens
  expect(at(1000)).toBe(false); // quiet for 900 ms only
  expect(at(1100)).toBe(true);
  expect(runs).toEqual([1100]);
  expect(at(5000)).toBe(false); // nothing new: no second collection
  expect(runs).toEqual([1100]);
});

test("no collection while connections keep opening, however long the storm", () => {
  const { r, runs, at } = rig();
  for (let t = 100; t <= 10_000; t += 100) {
    r.changed();
    expect(at(t)).toBe(false);
  }
  expect(at(10_500)).toBe(false);
  expect(at(11_000)).toBe(true);
  expect(runs).toEqual([11_000]);
});

test("fewer opens and closes than the threshold never collect; they count towards the next burst", () => {
  const { r, runs, at } = rig();
  r.changed();
  r.changed();
  at(100);
  expect(at(60_000)).toBe(false);
  r.changed();
  at(60_100);
  expect(at(61_100)).toBe(true);
  expect(runs).toEqual([61_100]);
});
