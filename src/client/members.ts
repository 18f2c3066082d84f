// A room's member list in the SDK, small or large (docs/protocol.md, Large rooms). A small room's
// list is complete and kept by presence diffs. A large room's is the join answer's first page
// only, and the SDK does not page on through it (19,000 members would be 19 requests per
// joiner): presence frames carry the count instead, and `who` reads further pages on demand
// (loadMembers() adds them to the list, so the `renames` a large room announces reach them too).
// When a large room turns small again the list is stale, so it is read anew with `who`; the
// diffs that arrive meanwhile apply on top of the pages, in whatever order they come.
import type { Member, PresenceFrame, UsersFrame } from "../shared/protocol.ts";
import type { RoomState } from "./room.ts";

/** The `roster` event: the list as the client holds it, the room's count, and its tier. */
export interface Roster {
  room: string;
  users: Member[];
  count: number;
  large: boolean;
  /** A large room: more members lie beyond the pages held (loadMembers() reads the next). */
  more: boolean;
}

/** Reads one `who` page of the room after `after`. */
export type ReadPage = (after: string | undefined) => Promise<UsersFrame>;

export function rosterOf(r: RoomState): Roster {
  return { room: r.name, users: [...r.users.values()], count: r.large ? r.count : r.users.size, large: r.large, more: r.next !== undefined };
}

/** Takes a join's answer: its page, and (small rooms only) every page after it. */
export async function takeSnapshot(r: RoomState, users: UsersFrame, read: ReadPage): Promise<void> {
  r.setUsers(users.users);
  r.count = users.count;
  r.large = users.large === true;
  r.next = r.large ? users.next : undefined;
  if (!r.large && users.next !== undefined) await readPages(r, users.next, read);
}

/** Applies a `presence` frame and reports the roster. A large room's `renames` rename the entries held and add none. */
export function applyPresence(r: RoomState, f: PresenceFrame, read: ReadPage, report: (roster: Roster) => void): void {
  if (f.count !== undefined) r.count = f.count;
  for (const m of f.renames ?? []) if (r.users.has(m.id)) r.users.set(m.id, m);
  if (f.large === false && r.large) {
    r.large = false;
    r.next = undefined;
    r.users.clear();
    readPages(r, undefined, read).then(() => report(rosterOf(r)), () => {});
  } else if (f.large === true) r.large = true;
  else r.applyPresence(f.joins, f.leaves);
  report(rosterOf(r));
}

/** Reads pages from `after` (undefined: the first) to the last, adding each to the list. */
async function readPages(r: RoomState, from: string | undefined, read: ReadPage): Promise<void> {
  let after = from;
  do {
    const page = await read(after);
    r.addUsers(page.users);
    after = page.next;
  } while (after !== undefined);
}
