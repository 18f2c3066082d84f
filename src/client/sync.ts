// Bringing one room up to date on the current connection: join (or rejoin) from the room's
// position, take the replay the server sends ahead of the `users` reply, page on with
// `history {after}` while a complete replay says `more`, read the rest of the member list while
// the snapshot says `next` (small rooms only: members.ts), and hand RoomState everything so it delivers each missed message
// once. Every request is tied to its reply by ref (requests.ts).
import { MAX_HISTORY_LIMIT } from "../shared/limits.ts";
import type { ClientFrame, StreamEntry, UsersFrame } from "../shared/protocol.ts";
import type { ClientEvents, Frame } from "./events.ts";
import { rosterOf, takeSnapshot } from "./members.ts";
import type { Replay, ResumePoint, RoomState } from "./room.ts";

/** Messages a room joined with `history` shows at first (the server's default page); older ones come with loadOlder(). */
export const INITIAL_HISTORY_LIMIT = 50;

/** A client frame without its ref: the host adds one. */
export type Unref<F> = F extends unknown ? Omit<F, "ref"> : never;

/** What a sync needs from the client. */
export interface SyncHost {
  /** Sends `frame` with a fresh ref; resolves with the reply, which must be of type `reply`. */
  request<K extends "users" | "history">(frame: Unref<ClientFrame>, reply: K): Promise<Frame<K>>;
  emit<K extends keyof ClientEvents>(type: K, event: ClientEvents[K]): void;
  /** One entry of the room's stream, in seq order, once. */
  deliver(m: StreamEntry): void;
  /** The user's read marker from a join's answer (`seq`), and whether the room's numbering restarted (old markers void). */
  lastRead(room: string, seq: number | undefined, reset: boolean): void;
}

/** Joins (or rejoins) `r` and delivers what it missed. */
export async function syncRoom(host: SyncHost, r: RoomState): Promise<void> {
  const resume = r.resumePoint();
  r.beginSync();
  const users = await host.request({ type: "join", room: r.name, ...resume }, "users");
  await finishSync(host, r, resume, users);
}

/** Ends a sync from its `users` reply (the handshake's, or a join's); the replay came before it. */
export async function finishSync(host: SyncHost, r: RoomState, resume: ResumePoint | undefined, users: UsersFrame): Promise<void> {
  await takeSnapshot(r, users, (after) => host.request({ type: "who", room: r.name, after }, "users"));
  host.emit("roster", rosterOf(r));

  const first = resume?.since === undefined ? null : r.takeReplay();
  let replay: Replay | null = null;
  if (resume === undefined && r.wantsHistory) {
    // The newest page, read after the join's subscription: what is also live is merged once.
    const page = await host.request({ type: "history", room: r.name, limit: INITIAL_HISTORY_LIMIT }, "history");
    replay = { epoch: page.epoch, recovered: true, messages: page.messages };
    if (page.more !== true) r.list.olderKept = false;
  } else if (first) {
    const messages = [...first.messages];
    // Only a complete replay pages on: `more` after `recovered: false` means older messages.
    for (let more = first.recovered === true && first.more === true; more; ) {
      const after = messages.at(-1)?.seq ?? resume!.since!;
      const page = await host.request({ type: "history", room: r.name, after, limit: MAX_HISTORY_LIMIT }, "history");
      messages.push(...page.messages);
      more = page.more === true && page.messages.length > 0;
    }
    replay = { epoch: first.epoch, recovered: first.recovered === true, messages };
  }
  const { messages, reset, previous, gap } = r.endSync(users, replay);
  host.lastRead(r.name, users.lastRead, reset);
  if (reset) host.emit("reset", { room: r.name, epoch: users.epoch, previous });
  if (gap) host.emit("gap", { room: r.name, ...gap });
  for (const m of messages) host.deliver(m);
  r.joined.resolve();
}
