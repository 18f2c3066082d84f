// What each server frame does to the client's parts: replies settle their request or send, and
// every frame updates the state it concerns (identity, rooms and their streams, who is typing,
// read markers) before the app hears of it as an event. The one switch over ServerFrame types.
import type { ServerFrame, StreamEntry } from "../shared/protocol.ts";
import type { Awareness } from "./awareness.ts";
import type { ClientEvents } from "./events.ts";
import type { Identity } from "./identity.ts";
import type { Outbox } from "./outbox.ts";
import type { Pacer } from "./pacer.ts";
import type { Requests } from "./requests.ts";
import type { Resync } from "./resync.ts";
import type { Rooms } from "./rooms.ts";
import type { Member } from "../shared/protocol.ts";

/** The client's parts a frame may touch (some made after this record, hence the getters). */
export interface Inbound {
  readonly requests: Requests;
  readonly outbox: Outbox;
  readonly pacer: Pacer;
  rooms(): Rooms;
  identity(): Identity;
  resync(): Resync;
  readonly awareness: Awareness;
  emit<K extends keyof ClientEvents>(type: K, event: ClientEvents[K]): void;
  users(room: string): Member[];
}

export function receive(c: Inbound, f: ServerFrame): void {
  // A reply settles its request or send; its effects on state are applied below all the same.
  if (!c.requests.offer(f)) c.outbox.offer(f);
  const rooms = c.rooms();
  switch (f.type) {
    case "welcome":
      c.pacer.restart(f.limits.ratePerSecond);
      c.identity().welcome(f);
      break;
    case "identity":
      c.identity().apply(f);
      break;
    case "users":
      c.resync().offer(f);
      break;
    case "presence": {
      const r = rooms.get(f.room);
      if (!r) break;
      r.applyPresence(f.joins, f.leaves);
      c.emit("roster", { room: f.room, users: c.users(f.room) });
      break;
    }
    // The room's stream: delivered once each, in seq order (held while the room syncs).
    case "message":
    case "edited":
    case "deleted":
    case "reaction":
      for (const e of rooms.get(f.room)?.live(f) ?? []) deliver(c, e);
      return;
    case "typing":
      if (rooms.get(f.room)) c.awareness.typingFrame(f.room, f.users, c.identity().id);
      break;
    case "read":
      if (rooms.get(f.room)) c.awareness.readFrame(f.room, f.seq);
      break;
    case "history":
      rooms.get(f.room)?.offerReplay(f);
      break;
    case "epoch": {
      const r = rooms.get(f.room);
      if (!r) break;
      r.restart(f.epoch, f.seq);
      c.emit("reset", { room: f.room, epoch: f.epoch });
      break;
    }
    case "left":
      rooms.leave(f.room);
      c.awareness.left(f.room);
      break;
    case "shutdown":
    case "ack":
    case "direct":
    case "notice":
    case "ok":
    case "error":
    case "pong":
      break;
    default: {
      const never: never = f;
      return never;
    }
  }
  c.emit(f.type, f as never);
}

/** One entry of a room's stream, once, in order: kept in the room's message list, then emitted; a message's sender is no longer typing. */
export function deliver(c: Inbound, e: StreamEntry): void {
  const list = c.rooms().get(e.room)?.list;
  if (e.type === "message") {
    c.awareness.spoke(e.room, e.from.id);
    list?.append(e);
    c.emit("message", e);
    return;
  }
  const changed = list?.apply(e);
  c.emit(e.type, e as never);
  if (changed) c.emit("changed", { room: e.room, message: changed });
}
