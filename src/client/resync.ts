// Resync: bringing the client up to date on each new connection. The handshake is answered like
// a join without a ref (welcome, the first room's replay with since, then its ref-less `users`
// frame); after it every other room is rejoined (sync.ts), those joined meanwhile too, and only
// then is the connection declared usable. A room left while its sync ran is left again after
// it, since the server has the client in it once more. A handshake room that refuses the user
// now (banned meanwhile, or made private) is dropped, and the other rooms are rejoined.
import type { UsersFrame } from "../shared/protocol.ts";
import { deferred, type Deferred } from "./deferred.ts";
import { HubbubError } from "./errors.ts";
import type { Handshake } from "./handshake.ts";
import { refOf } from "./requests.ts";
import type { ResumePoint, RoomState } from "./room.ts";
import type { Rooms } from "./rooms.ts";
import { finishSync, syncRoom, type SyncHost } from "./sync.ts";

export interface ResyncHost extends SyncHost {
  /** Asks the server to take the client out of `room`, expecting nothing back. */
  leave(room: string): void;
  /** Every room is synced on the current socket: it is usable. */
  connected(): void;
}

export interface Resync {
  /** The next attempt: `build` makes its URL from its room and position; the wait for its reply is armed. */
  begin(build: (room: string, from: ResumePoint | undefined) => Handshake): Handshake;
  /** A `users` frame; the ref-less one for the handshake's room is its reply. */
  offer(f: UsersFrame): void;
  /** The handshake room's join was refused (a ref-less `error`: banned, forbidden). */
  refused(err: HubbubError): void;
  /** Joins `r` on a connection that is already synced (join() while connected). */
  join(r: RoomState): void;
  /** The socket is gone: a handshake still waiting fails, and no resync may declare it connected. */
  lost(err: HubbubError): void;
}

/** A closure, like Link: the page's bundle is small. */
export function createResync(rooms: Rooms, host: ResyncHost): Resync {
  /** The handshake's reply: the first room's ref-less `users` frame, or the refusal of its join. */
  let handshake: { room: string; done: Deferred<UsersFrame | HubbubError> } | null = null;
  /** The current socket's handshake, kept (unlike `handshake`) until the socket is lost: a resync begun on an older socket must not declare this one connected. */
  let liveHandshake: object | null = null;

  /** Runs a room's sync; if the room was left meanwhile, the server has us in it again, so leave it. */
  const finish = async (r: RoomState, sync: () => Promise<void>): Promise<void> => {
    await sync();
    if (!rooms.holds(r)) host.leave(r.name);
  };
  const join = (r: RoomState) => finish(r, () => syncRoom(host, r)).catch((err) => rooms.failed(r, err));

  /** After the handshake: finish the first room, rejoin the others, then declare the connection usable. */
  const resync = async (hs: object, first: RoomState, resume: ResumePoint | undefined, users: UsersFrame | HubbubError): Promise<void> => {
    try {
      if (users instanceof HubbubError) rooms.drop(first, users);
      else await finish(first, () => finishSync(host, first, resume, users));
      const done = new Set([first]);
      for (;;) {
        const todo = rooms.all().filter((r) => !done.has(r));
        if (todo.length === 0) break;
        for (const r of todo) done.add(r);
        await Promise.all(todo.map(join));
      }
      if (liveHandshake === hs) host.connected();
    } catch {
      // The connection dropped mid-resync; its close handler has scheduled the next attempt.
    }
  };

  const settle = (reply: UsersFrame | HubbubError) => {
    handshake?.done.resolve(reply);
    handshake = null;
  };

  return {
    begin(build) {
      const first = rooms.handshakeRoom();
      const resume = first.resumePoint();
      const request = build(first.name, resume);
      first.beginSync();
      const hs = { room: first.name, done: deferred<UsersFrame | HubbubError>() };
      handshake = liveHandshake = hs;
      hs.done.promise.then((users) => resync(hs, first, resume, users)).catch(() => {});
      return request;
    },
    offer(f) {
      if (refOf(f) === undefined && handshake?.room === f.room) settle(f);
    },
    refused: settle,
    join: (r) => void join(r),
    lost(err) {
      liveHandshake = null;
      handshake?.done.reject(err);
      handshake = null;
    },
  };
}
