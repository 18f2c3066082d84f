// What a connection's requests call: the room, message and name operations of one node, wired
// once (server.ts, and unit tests with a fake socket) and shared by connection.ts and the slash
// commands.
import { Admission } from "./admission.ts";
import type { Config } from "./config.ts";
import type { Awaitable } from "./awaitable.ts";
import type { ControlMessage, Engine } from "./engine/engine.ts";
import type { Hub } from "./hub.ts";
import type { ResumeTokens } from "./identity.ts";
import { MessageEdits } from "./message-edits.ts";
import { Messages } from "./messages.ts";
import { Moderation } from "./moderation.ts";
import { RoomAccess } from "./room-access.ts";
import { MemoryReadMarkers, ReadMarkers, type ReadMarkerStore } from "./read-markers.ts";
import { Rooms } from "./rooms.ts";
import { Typing } from "./typing.ts";
import { UserControl } from "./user-control.ts";
import { UserNames } from "./user-names.ts";
import { noEvents, type EventSink } from "./webhooks/events.ts";
import type { MessageHook } from "./webhooks/message-hook.ts";

export interface Services {
  readonly admission: Admission;
  readonly rooms: Rooms;
  readonly messages: Messages;
  /** Edits, deletes and reactions on stored messages. */
  readonly edits: MessageEdits;
  readonly names: UserNames;
  readonly users: UserControl;
  readonly typing: Typing;
  readonly reads: ReadMarkers;
  /** Rooms' states and the checks on them (room-access.ts). */
  readonly access: RoomAccess;
  /** Room actions and the listing of public rooms (moderation.ts). */
  readonly moderation: Moderation;
  /** A control message from a node (this one included), to the service it concerns. */
  onControl(msg: ControlMessage): Awaitable<void>;
}

/**
 * What the application's backend plugs in (webhooks/): where events go, and the message hook;
 * and where read markers are kept (default: memory, for the life of the process).
 */
export interface Extensions {
  events: EventSink;
  hook: MessageHook | null;
  markers?: ReadMarkerStore;
}

/** `tokens`: guests' resume tokens; null with AUTH_SECRET. */
export function createServices(hub: Hub, engine: Engine, config: Config, tokens: ResumeTokens | null, ext: Extensions = { events: noEvents, hook: null }): Services {
  const markers = ext.markers ?? new MemoryReadMarkers();
  const access = new RoomAccess(engine, config.anonRooms);
  const rooms = new Rooms(hub, engine, ext.events, markers, access);
  const names = new UserNames(hub, engine, config, tokens);
  const users = new UserControl(hub, engine);
  const typing = new Typing(rooms, engine, config.presenceIntervalMs);
  const reads = new ReadMarkers(markers, rooms, engine, hub);
  const messages = new Messages(rooms, engine, config, ext.hook, (room, userId) => typing.spoke(room, userId), access);
  const moderation = new Moderation(hub, rooms, access, engine, messages);
  return {
    rooms,
    access,
    moderation,
    names,
    users,
    typing,
    reads,
    onControl(msg) {
      switch (msg.type) {
        case "renamed":
          return names.onControl(msg);
        case "disconnect":
          return users.onControl(msg);
        case "read":
          return reads.onControl(msg);
        case "room":
          return access.onControl(msg);
        case "removed":
        case "invited":
          return moderation.onControl(msg);
        default: {
          const never: never = msg;
          return never;
        }
      }
    },
    messages,
    edits: new MessageEdits(rooms, engine, config, ext.events, access),
    admission: new Admission(hub, rooms, names, engine, config, tokens, ext.events),
  };
}
