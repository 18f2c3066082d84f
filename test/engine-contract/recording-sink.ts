// What an engine hands to "this node's sockets", recorded for the contract suites and for tests
// that drive an engine directly: room frames, user frames, presence changes and control
// messages, each kept apart.
import type { ControlMessage, EngineSink, StreamPosition } from "../../src/engine/engine.ts";
import type { Member, MessageFrame } from "../../src/shared/protocol.ts";
import { eventually } from "../support.ts";

interface Presence {
  room: string;
  joins: Member[];
  leaves: Member[];
  origin?: string;
}

/** A frame handed to every local connection of one user (`except` one connection, if given). */
export interface UserDelivery {
  userId: string;
  data: string;
  except?: string;
}

/** Records everything an engine delivers to this node, in order, one list per kind. */
export class RecordingSink implements EngineSink {
  readonly rooms: { room: string; data: string }[] = [];
  readonly users: UserDelivery[] = [];
  readonly presences: Presence[] = [];
  readonly controls: ControlMessage[] = [];

  publishRoom(room: string, data: string): void {
    this.rooms.push({ room, data });
  }

  sendToUser(userId: string, data: string, exceptConn?: string): void {
    this.users.push(exceptConn === undefined ? { userId, data } : { userId, data, except: exceptConn });
  }

  presence(room: string, joins: Member[], leaves: Member[], origin?: string): void {
    this.presences.push(origin === undefined ? { room, joins, leaves } : { room, joins, leaves, origin });
  }

  control(msg: ControlMessage): void {
    this.controls.push(msg);
  }

  /** A restart is recorded in the room's stream, where members would see it: before the new epoch's messages. */
  restarted(room: string, pos: StreamPosition): void {
    this.rooms.push({ room, data: JSON.stringify({ type: "epoch", room, ...pos }) });
  }

  /** Every frame handed to `room`'s local members, decoded, in delivery order. */
  frames(room: string): { type: string }[] {
    return this.rooms.filter((p) => p.room === room).map((p) => JSON.parse(p.data) as { type: string });
  }

  /** The messages among them. */
  messages(room: string): MessageFrame[] {
    return this.frames(room).filter((f): f is MessageFrame => f.type === "message");
  }

  /** Frames handed to `userId`'s local connections. */
  toUser(userId: string): UserDelivery[] {
    return this.users.filter((u) => u.userId === userId);
  }

  /** The room's presence changes as `+name` / `-name`, in order. */
  changes(room: string): string[] {
    return this.presences.filter((p) => p.room === room).flatMap((p) => [...p.leaves.map((m) => `-${m.name}`), ...p.joins.map((m) => `+${m.name}`)]);
  }

  /** Resolves once a presence change matching `pred` was reported. */
  presenceWhere(pred: (p: Presence) => boolean, what: string): Promise<void> {
    return eventually(() => this.presences.some(pred), 3000, what);
  }
}
