// What a connection's requests call: the room, message and name operations of one node, wired
// once (server.ts, and unit tests with a fake socket) and shared by connection.ts and the slash
// commands.
import { Admission } from "./admission.ts";
import type { Config } from "./config.ts";
import type { Awaitable } from "./awaitable.ts";
import type { ControlMessage, Engine } from "./engine/engine.ts";
import type { Hub } from "./hub.ts";
import type { ResumeTokens } from "./identity.ts";
import { Messages } from "./messages.ts";
import { MemoryReadMarkers, ReadMarkers, type ReadMarkerStore } from "./read-markers.ts";
import { Rooms } from "./rooms.ts";
import { Typing } from "./typing.ts";
import { UserNames } from "./user-names.ts";

export interface Services {
  readonly admission: Admission;
  readonly rooms: Rooms;
  readonly messages: Messages;
  readonly names: UserNames;
  readonly typing: Typing;
  readonly reads: ReadMarkers;
}

/** Hands a control message from the engine to the service it is for. */
export function onControl(services: Services, msg: ControlMessage): Awaitable<void> {
  return msg.type === "read" ? services.reads.onControl(msg) : services.names.onControl(msg);
}

/** `tokens`: guests' resume tokens; null with AUTH_SECRET. `markers`: where read markers live (default: memory). */
export function createServices(hub: Hub, engine: Engine, config: Config, tokens: ResumeTokens | null, markers: ReadMarkerStore = new MemoryReadMarkers()): Services {
  const rooms = new Rooms(hub, engine, markers);
  const names = new UserNames(hub, engine, config, tokens);
  const typing = new Typing(rooms, engine, config.presenceIntervalMs);
  return {
    rooms,
    names,
    typing,
    reads: new ReadMarkers(markers, rooms, engine, hub),
    messages: new Messages(rooms, engine, config, (room, userId) => typing.spoke(room, userId)),
    admission: new Admission(hub, rooms, names, engine, config, tokens),
  };
}
