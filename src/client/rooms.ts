// Rooms: the set of rooms a HubbubClient is in, or will (re)join at its next connect, in the order
// they were joined. The first is the handshake room and the default for send(), leave() and
// who(); a connection always starts in a room, so with none left it is the default room. This is
// the only owner of the set (what one room knows is its RoomState), and it reports every change
// to the set (the client's `rooms` event). A closure, like Link: the page's bundle is small.
import { DEFAULT_ROOM, normalizeRoom } from "../shared/names.ts";
import type { Member } from "../shared/protocol.ts";
import { ClientErrorCode, HubbubError } from "./errors.ts";
import { RoomState } from "./room.ts";

export interface Rooms {
  readonly names: string[];
  /** The default room for send(), leave() and who(): the first; undefined when in none. */
  readonly first: string | undefined;
  get(name: string): RoomState | undefined;
  /** Every room, in order (a copy: syncing one may add or drop others). */
  all(): RoomState[];
  /** The live user list of a room (one entry per user), in join order; empty if not in it. */
  users(room: string): Member[];
  /** The room called `name` (normalised), added at the end if the client is not in it yet. */
  add(name: string, history?: boolean): { room: RoomState; added: boolean };
  /** The room the next connection starts in: the first, or the default room when none is left. */
  handshakeRoom(): RoomState;
  /** Whether `r` is still the client's room of that name: not left, nor left and joined anew. */
  holds(r: RoomState): boolean;
  /** Takes `r` out of the set; its join() callers fail with `err`. Nothing if it is out already. */
  drop(r: RoomState, err: unknown): void;
  /** The client left `name` (or the server took it out): drops it with not_in_room and returns it. */
  leave(name: string): RoomState | undefined;
  /** A room's sync failed: it is dropped, unless only the connection was lost (the next one rejoins it). */
  failed(r: RoomState, err: unknown): void;
  /** The socket is gone: every sync in progress stops. */
  abortSyncs(): void;
  /** The client is finished: every join() still waiting fails. The rooms stay, for a later connect(). */
  failJoins(err: unknown): void;
}

/**
 * `initial`: the options' rooms, checked here (invalid_room); adding them is not reported.
 * `withHistory`: whether a room replays its kept history when first joined, unless add() says.
 */
export function createRooms(initial: readonly string[], withHistory: boolean, changed: (names: string[]) => void): Rooms {
  const map = new Map<string, RoomState>();
  const names = () => [...map.keys()];
  const holds = (r: RoomState) => map.get(r.name) === r;
  const drop = (r: RoomState, err: unknown) => {
    if (!holds(r)) return;
    map.delete(r.name);
    r.joined.reject(err);
    changed(names());
  };
  for (const raw of initial) {
    const room = normalizeRoom(raw);
    if (room === null) throw new HubbubError("invalid_room", `invalid room name ${JSON.stringify(raw)}`);
    map.set(room, new RoomState(room, withHistory));
  }
  return {
    get names() {
      return names();
    },
    get first() {
      return names()[0];
    },
    get: (name) => map.get(name),
    all: () => [...map.values()],
    users: (room) => [...(map.get(normalizeRoom(room) ?? room)?.users.values() ?? [])],
    add(name, history = withHistory) {
      const known = map.get(name);
      if (known) return { room: known, added: false };
      const room = new RoomState(name, history);
      map.set(name, room);
      changed(names());
      return { room, added: true };
    },
    handshakeRoom() {
      if (map.size === 0) {
        map.set(DEFAULT_ROOM, new RoomState(DEFAULT_ROOM, withHistory));
        changed(names());
      }
      return map.values().next().value!;
    },
    holds,
    drop,
    leave(name) {
      const r = map.get(name);
      if (r) drop(r, new HubbubError("not_in_room", `left ${name}`));
      return r;
    },
    failed(r, err) {
      if (!(err instanceof HubbubError && err.code === ClientErrorCode.ConnectionLost)) drop(r, err);
    },
    abortSyncs() {
      for (const r of map.values()) r.abortSync();
    },
    failJoins(err) {
      for (const r of map.values()) if (!r.joined.settled) r.joined.reject(err);
    },
  };
}
