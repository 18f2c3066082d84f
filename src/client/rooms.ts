// Rooms: the set of rooms a HubbubClient is in, or will (re)join at its next connect, in the order
// they were joined. The first is the handshake room and the default for send(), leave() and
// who(); a connection always starts in a room, so with none left it is the default room. This is
// the only owner of the set (what one room knows is its RoomState), and it reports every change
// to the set (the client's `rooms` event).
import { DEFAULT_ROOM, normalizeRoom } from "../shared/names.ts";
import type { Member } from "../shared/protocol.ts";
import { ClientErrorCode, HubbubError } from "./errors.ts";
import { RoomState } from "./room.ts";

export class Rooms {
  private readonly map = new Map<string, RoomState>();

  /** `initial`: the options' rooms, checked here (invalid_room); adding them is not reported. */
  constructor(
    initial: readonly string[],
    /** Whether a room replays its kept history when first joined, unless add() says. */
    private readonly withHistory: boolean,
    private readonly changed: (names: string[]) => void,
  ) {
    for (const raw of initial) {
      const room = normalizeRoom(raw);
      if (room === null) throw new HubbubError("invalid_room", `invalid room name ${JSON.stringify(raw)}`);
      this.map.set(room, new RoomState(room, withHistory));
    }
  }

  get names(): string[] {
    return [...this.map.keys()];
  }

  /** The default room for send(), leave() and who(): the first; undefined when in none. */
  get first(): string | undefined {
    return this.names[0];
  }

  get(name: string): RoomState | undefined {
    return this.map.get(name);
  }

  /** Every room, in order (a copy: syncing one may add or drop others). */
  all(): RoomState[] {
    return [...this.map.values()];
  }

  /** The live user list of a room (one entry per user), in join order; empty if not in it. */
  users(room: string): Member[] {
    return [...(this.map.get(normalizeRoom(room) ?? room)?.users.values() ?? [])];
  }

  /** The room called `name` (normalised), added at the end if the client is not in it yet. */
  add(name: string, history = this.withHistory): { room: RoomState; added: boolean } {
    const known = this.map.get(name);
    if (known) return { room: known, added: false };
    const room = new RoomState(name, history);
    this.map.set(name, room);
    this.changed(this.names);
    return { room, added: true };
  }

  /** The room the next connection starts in: the first, or the default room when none is left. */
  handshakeRoom(): RoomState {
    if (this.map.size === 0) {
      this.map.set(DEFAULT_ROOM, new RoomState(DEFAULT_ROOM, this.withHistory));
      this.changed(this.names);
    }
    return this.map.values().next().value!;
  }

  /** Whether `r` is still the client's room of that name: not left, nor left and joined anew. */
  holds(r: RoomState): boolean {
    return this.map.get(r.name) === r;
  }

  /** Takes `r` out of the set; its join() callers fail with `err`. Nothing if it is out already. */
  drop(r: RoomState, err: unknown): void {
    if (!this.holds(r)) return;
    this.map.delete(r.name);
    r.joined.reject(err);
    this.changed(this.names);
  }

  /** The client left `name` (or the server took it out): drops it with not_in_room and returns it. */
  leave(name: string): RoomState | undefined {
    const r = this.map.get(name);
    if (r) this.drop(r, new HubbubError("not_in_room", `left ${name}`));
    return r;
  }

  /** A room's sync failed: it is dropped, unless only the connection was lost (the next one rejoins it). */
  failed(r: RoomState, err: unknown): void {
    if (err instanceof HubbubError && err.code === ClientErrorCode.ConnectionLost) return;
    this.drop(r, err);
  }

  /** The socket is gone: every sync in progress stops. */
  abortSyncs(): void {
    for (const r of this.map.values()) r.abortSync();
  }

  /** The client is finished: every join() still waiting fails. The rooms stay, for a later connect(). */
  failJoins(err: unknown): void {
    for (const r of this.map.values()) if (!r.joined.settled) r.joined.reject(err);
  }
}
