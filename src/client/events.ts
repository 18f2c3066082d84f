// Everything a HubbubClient emits. Every server frame type has an event of the same name
// carrying the frame as received, except the room stream's entries (`message`, `edited`,
// `deleted`, `reaction`), which are the deduplicated, seq-ordered stream (live, replayed after a
// reconnect, or recovered after a reset) rather than raw frames. The rest are derived state changes, so an app never rebuilds them itself.
import type { Roster } from "./members.ts";
import type { Member, MessageFrame, ServerFrame } from "../shared/protocol.ts";
import type { HubbubError } from "./errors.ts";

/** One server frame type, by its `type`. */
export type Frame<K extends ServerFrame["type"]> = Extract<ServerFrame, { type: K }>;

export interface CloseInfo {
  code: number;
  reason: string;
}

/** Where the connection is. `reconnecting` says when the next attempt starts. */
export type ConnectionState =
  | { state: "offline"; error?: HubbubError }
  | { state: "connecting"; attempt: number }
  | { state: "connected" }
  | { state: "reconnecting"; attempt: number; retryInMs: number; retryAt: number; close: CloseInfo };

export type FrameEvents = { [K in ServerFrame["type"]]: Frame<K> };

export interface ClientEvents extends FrameEvents {
  /** The connection state changed. */
  state: ConnectionState;
  /** A room's live user list or count changed (snapshot, presence diff, or a large room's count: members.ts). */
  roster: Roster;
  /** The list of rooms this client is in (or will rejoin) changed. */
  rooms: string[];
  /** This user's name changed (a rename in this tab or another, or the name the server gave). */
  name: string;
  /**
   * A fresh resume token (from `welcome` or `identity`, anonymous servers only). Store it and
   * pass it as the `resume` option to be the same user (id and name) after a reload or in
   * another tab; the client itself reconnects with the latest one.
   */
  resume: string;
  /**
   * A room's numbering restarted (a new epoch: the server lost its history); what it holds now is
   * delivered as new. `previous`: the old epoch's messages, no longer in messages(room), for an
   * app that keeps showing them.
   */
  reset: { room: string; epoch: string; previous: readonly MessageFrame[] };
  /** A message this client holds changed (edited, deleted, a reaction): `message` is its new state. */
  changed: { room: string; message: MessageFrame };
  /** Messages of a room (in its current epoch) that were missed and could not be recovered. */
  gap: { room: string; fromSeq: number; toSeq: number };
  /** Who is typing in a room changed (this user's other tabs left out); see `typing(room)`. */
  typists: { room: string; users: Member[] };
  /** This user's read marker for a room moved: marked here, in another tab, or told by a join's answer. */
  lastRead: { room: string; seq: number };
}
