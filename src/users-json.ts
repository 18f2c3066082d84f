// The wire form of `users` pages, which a join answers with: a room of 1,000 answers each of its
// joins with all 1,000 members, and a large room every joiner with its first 100. JSON.stringify
// over the member objects was a fifth of the JavaScript of a 10,000-connection storm into one
// room (docs/benchmarks.md), so long pages are built from kept strings instead:
// - each member's JSON, kept per Member object while it lives (the engines hand out the same
//   object for a user while its id and name stay; a rename makes a new one), for pages longer
//   than CACHED_PAGE_FROM, so rooms of ten keep nothing;
// - the last long page's members and its joined JSON, so the next page that starts with the
//   same members (a large room's first page, one joiner after another) reuses it whole.
// The result is the same JSON as encode() gives, with `users` as the frame's last field.
import type { Member, UsersFrame } from "./shared/protocol.ts";
import { encode } from "./shared/protocol.ts";

/** Pages longer than this are encoded from kept strings. */
export const CACHED_PAGE_FROM = 32;

const memberJson = new WeakMap<Member, string>();
/** The last long page: its members (without a passing one at its end) and their JSON, joined. */
let last: { users: Member[]; json: string } | null = null;

/**
 * A `users` frame's wire form. `passing`: a member encoded without being kept (a large room's
 * joiner on its own first page: keeping it would keep every member of a room of 19,000). `f`
 * must be a frame made for this call: its `users` is taken out while the rest is encoded.
 */
export function encodeUsers(f: UsersFrame, passing?: Member): string {
  const users = f.users;
  if (users.length <= CACHED_PAGE_FROM) return encode(f);
  // Without the members (undefined fields are not encoded), rather than a copy of the frame.
  (f as { users?: Member[] }).users = undefined;
  const head = JSON.stringify(f);
  f.users = users;
  return `${head.slice(0, -1)},"users":[${usersJson(users, passing)}]}`;
}

function usersJson(users: Member[], passing: Member | undefined): string {
  const n = passing !== undefined && users[users.length - 1] === passing ? users.length - 1 : users.length;
  const tail = n < users.length ? `,${JSON.stringify(passing)}` : "";
  if (last !== null && sameMembers(last.users, users, n)) return last.json + tail;
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const m = users[i]!;
    let json = memberJson.get(m);
    if (json === undefined) {
      json = JSON.stringify(m);
      if (m !== passing) memberJson.set(m, json);
    }
    parts[i] = json;
  }
  last = { users: users.slice(0, n), json: parts.join(",") };
  return last.json + tail;
}

/** Whether `kept` is exactly the first `n` of `users`, object for object. */
function sameMembers(kept: Member[], users: Member[], n: number): boolean {
  if (kept.length !== n) return false;
  for (let i = 0; i < n; i++) if (kept[i] !== users[i]) return false;
  return true;
}
