// Bringing one room up to date on the current connection: join (or rejoin) with the right
// `since`, recognise a reset, fetch the whole history after one, and hand RoomState the
// replay so it can deliver each missed message once. The request goes through the client's
// ping barrier, so the room's `users` and `history` replies are known to be complete.
import type { ClientFrame, MessageFrame, ServerFrame } from "../shared/protocol.ts";
import { ClientErrorCode, HubbubError } from "./errors.ts";
import type { ClientEvents, Frame } from "./events.ts";
import type { Gap, RoomState } from "./room.ts";

/** What a sync needs from the client. */
export interface SyncHost {
  /** Sends `build(ref)` and resolves with the replies `wants` picks, at the barrier pong. */
  request(build: (ref: string) => ClientFrame[], wants: (f: ServerFrame) => boolean): Promise<ServerFrame[]>;
  emit<K extends keyof ClientEvents>(type: K, event: ClientEvents[K]): void;
  deliver(m: MessageFrame): void;
}

const replyOf = (room: string) => (f: ServerFrame) => (f.type === "users" || f.type === "history") && f.room === room;

/** Joins (or rejoins) `r` and delivers what it missed. Resolves with the unrecoverable range, if any. */
export async function syncRoom(host: SyncHost, r: RoomState): Promise<Gap | null> {
  const since = r.resumeSince();
  r.beginSync();
  const join: ClientFrame = since === undefined ? { type: "join", room: r.name } : { type: "join", room: r.name, since };
  const frames = await host.request((ref) => [join, { type: "ping", ref }], replyOf(r.name));
  return finishSync(host, r, since, frames);
}

/** Ends a sync from its replies: the room's snapshot and, when `since` was sent, its replay. */
export async function finishSync(host: SyncHost, r: RoomState, since: number | undefined, frames: ServerFrame[]): Promise<Gap | null> {
  const users = frames.find((f) => f.type === "users") as Frame<"users"> | undefined;
  if (!users) throw new HubbubError(ClientErrorCode.ConnectionLost, `no user list for ${r.name}`);
  let replay = since === undefined ? null : historyIn(frames);
  if (replay && r.isReset(users.seq, replay)) {
    r.restart();
    host.emit("reset", { room: r.name });
    replay = historyIn(await host.request((ref) => [{ type: "history", room: r.name, since: 0 }, { type: "ping", ref }], replyOf(r.name)));
  }
  const { messages, gap } = r.endSync(users.seq, replay);
  if (gap) host.emit("gap", { room: r.name, ...gap });
  for (const m of messages) host.deliver(m);
  r.joined.resolve();
  return gap;
}

function historyIn(frames: ServerFrame[]): MessageFrame[] {
  return (frames.find((f) => f.type === "history") as Frame<"history"> | undefined)?.messages ?? [];
}
