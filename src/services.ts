// What a connection's requests call: the room, message and name operations of one node, wired
// once by server.ts and shared by connection.ts and the slash commands.
import type { Admission } from "./admission.ts";
import type { Messages } from "./messages.ts";
import type { Rooms } from "./rooms.ts";
import type { UserNames } from "./user-names.ts";

export interface Services {
  readonly admission: Admission;
  readonly rooms: Rooms;
  readonly messages: Messages;
  readonly names: UserNames;
}
