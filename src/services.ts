// What a connection's requests call: the room, message and name operations of one node, wired
// once (server.ts, and unit tests with a fake socket) and shared by connection.ts and the slash
// commands.
import { Admission } from "./admission.ts";
import type { Config } from "./config.ts";
import type { Engine } from "./engine/engine.ts";
import type { Hub } from "./hub.ts";
import type { ResumeTokens } from "./identity.ts";
import { MessageEdits } from "./message-edits.ts";
import { Messages } from "./messages.ts";
import { Rooms } from "./rooms.ts";
import { UserNames } from "./user-names.ts";

export interface Services {
  readonly admission: Admission;
  readonly rooms: Rooms;
  readonly messages: Messages;
  /** Edits, deletes and reactions on stored messages. */
  readonly edits: MessageEdits;
  readonly names: UserNames;
}

/** `tokens`: guests' resume tokens; null with AUTH_SECRET. */
export function createServices(hub: Hub, engine: Engine, config: Config, tokens: ResumeTokens | null): Services {
  const rooms = new Rooms(hub, engine);
  const names = new UserNames(hub, engine, config, tokens);
  return {
    rooms,
    names,
    messages: new Messages(rooms, engine, config),
    edits: new MessageEdits(rooms, engine, config),
    admission: new Admission(hub, rooms, names, engine, config, tokens),
  };
}
