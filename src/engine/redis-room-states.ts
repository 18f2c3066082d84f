// Rooms' states in Redis (one JSON string per room, P:room:<room>:state), shared by every node of
// the cluster. Creation is SET NX (one owner, whichever node's join came first); a change is a
// compare-and-set on the state's version, in one script. Every node also caches states
// (room-access.ts), told of each change by a control message, so a join or a chat does not
// read Redis each time.
import type { RoomState } from "../room-rules.ts";
import { parseRoomState, type RoomStateStore } from "../room-states.ts";
import type { RedisKeys } from "./redis-keys.ts";
import { Script, type Send } from "./redis-scripts.ts";

/** KEYS: the room's state. ARGV: the version read, the new state JSON. Returns 1 when written. */
const replaceScript = new Script(
  "room-state-replace",
  `local cur = redis.call('GET', KEYS[1])
if not cur or cjson.decode(cur).v ~= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2])
return 1`,
);

export class RedisRoomStates implements RoomStateStore {
  readonly shared = true;

  constructor(
    private readonly keys: RedisKeys,
    private readonly send: Send,
  ) {}

  async get(room: string): Promise<RoomState | null> {
    const raw = await this.send("GET", [this.keys.roomState(room)]);
    return typeof raw === "string" ? parseRoomState(room, raw) : null;
  }

  async create(room: string, state: RoomState): Promise<RoomState> {
    const made = await this.send("SET", [this.keys.roomState(room), JSON.stringify(state), "NX"]);
    if (made === "OK") return state;
    return (await this.get(room)) ?? state;
  }

  async replace(room: string, prev: RoomState, next: RoomState): Promise<boolean> {
    return (await replaceScript.run(this.send, [this.keys.roomState(room)], [prev.v, JSON.stringify(next)])) === 1;
  }

  async slow(room: string, userId: string, ms: number): Promise<number> {
    const key = this.keys.slowPost(room, userId);
    if ((await this.send("SET", [key, "1", "PX", String(ms), "NX"])) === "OK") return 0;
    const left = Number(await this.send("PTTL", [key]));
    return left > 0 ? left : 1;
  }
}
