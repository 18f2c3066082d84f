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

export class Resync {
  /** The handshake's reply: the first room's ref-less `users` frame, or the refusal of its join. */
  private handshake: { room: string; done: Deferred<UsersFrame | HubbubError> } | null = null;
  /** The current socket's handshake, kept (unlike `handshake`) until the socket is lost: a resync begun on an older socket must not declare this one connected. */
  private liveHandshake: object | null = null;

  constructor(
    private readonly rooms: Rooms,
    private readonly host: ResyncHost,
  ) {}

  /** The next attempt: `build` makes its URL from its room and position; the wait for its reply is armed. */
  begin(build: (room: string, from: ResumePoint | undefined) => Handshake): Handshake {
    const first = this.rooms.handshakeRoom();
    const resume = first.resumePoint();
    const request = build(first.name, resume);
    first.beginSync();
    const hs = { room: first.name, done: deferred<UsersFrame | HubbubError>() };
    this.handshake = hs;
    this.liveHandshake = hs;
    hs.done.promise.then((users) => this.resync(hs, first, resume, users)).catch(() => {});
    return request;
  }

  /** A `users` frame; the ref-less one for the handshake's room is its reply. */
  offer(f: UsersFrame): void {
    if (refOf(f) !== undefined || this.handshake?.room !== f.room) return;
    const hs = this.handshake;
    this.handshake = null;
    hs.done.resolve(f);
  }

  /** The handshake room's join was refused (a ref-less `error`: banned, forbidden). */
  refused(err: HubbubError): void {
    this.handshake?.done.resolve(err);
    this.handshake = null;
  }

  /** Joins `r` on a connection that is already synced (join() while connected). */
  join(r: RoomState): void {
    this.sync(r).catch((err) => this.rooms.failed(r, err));
  }

  /** The socket is gone: a handshake still waiting fails, and no resync may declare it connected. */
  lost(err: HubbubError): void {
    this.liveHandshake = null;
    this.handshake?.done.reject(err);
    this.handshake = null;
  }

  /** After the handshake: finish the first room, rejoin the others, then declare the connection usable. */
  private async resync(hs: object, first: RoomState, resume: ResumePoint | undefined, users: UsersFrame | HubbubError): Promise<void> {
    try {
      if (users instanceof HubbubError) this.rooms.drop(first, users);
      else await this.finish(first, () => finishSync(this.host, first, resume, users));
      const done = new Set([first]);
      for (;;) {
        const todo = this.rooms.all().filter((r) => !done.has(r));
        if (todo.length === 0) break;
        for (const r of todo) done.add(r);
        await Promise.all(todo.map((r) => this.sync(r).catch((err) => this.rooms.failed(r, err))));
      }
      if (this.liveHandshake !== hs) return;
      this.host.connected();
    } catch {
      // The connection dropped mid-resync; its close handler has scheduled the next attempt.
    }
  }

  private sync(r: RoomState): Promise<void> {
    return this.finish(r, () => syncRoom(this.host, r));
  }

  /** Runs a room's sync; if the room was left meanwhile, the server has us in it again, so leave it. */
  private async finish(r: RoomState, sync: () => Promise<void>): Promise<void> {
    await sync();
    if (!this.rooms.holds(r)) this.host.leave(r.name);
  }
}
