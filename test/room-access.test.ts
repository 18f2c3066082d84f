// RoomAccess's per-node cache of rooms' states, for a store other nodes change too (Redis),
// without a cluster: a fake shared store over the memory one, and the clock moved by hand.
import { afterEach, describe, expect, it, setSystemTime } from "bun:test";
import type { Engine } from "../src/engine/engine.ts";
import { RoomAccess, STATE_CACHE_MS } from "../src/room-access.ts";
import { newRoomState } from "../src/room-rules.ts";
import { MemoryRoomStates } from "../src/room-states.ts";

function sharedAccess() {
  const store = new MemoryRoomStates();
  const shared = Object.assign(Object.create(store) as MemoryRoomStates, { shared: true });
  const access = new RoomAccess({ states: shared, broker: { control: () => undefined } } as unknown as Engine);
  return { store, access };
}

describe("RoomAccess's cache of a shared store", () => {
  afterEach(() => setSystemTime());

  it("does not cache a room without a state: another node's first join makes one without telling", () => {
    const { store, access } = sharedAccess();
    expect(access.state("den")).toBeNull();
    store.create("den", newRoomState("bob"));
    expect(access.state("den")).toMatchObject({ owner: "bob" });
  });

  it("serves a cached state, and takes the store's word once it expires, even at a lower version (Redis lost its data)", () => {
    const { store, access } = sharedAccess();
    const before = { ...newRoomState("alice"), v: 5, visibility: "private" as const };
    access.onControl({ type: "room", room: "den", state: before });
    store.create("den", newRoomState("bob"));
    expect(access.state("den")).toEqual(before);
    setSystemTime(new Date(Date.now() + STATE_CACHE_MS + 1));
    expect(access.state("den")).toMatchObject({ v: 1, owner: "bob", visibility: "public" });
    // And later changes, versioned from there, reach the cache.
    const next = { ...newRoomState("bob"), v: 2, topic: "anew" };
    access.onControl({ type: "room", room: "den", state: next });
    expect(access.state("den")).toEqual(next);
  });
});
