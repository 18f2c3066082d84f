// The wire form of `users` pages, which a join answers with: a room of 1,000 answers each of its
// joins with all 1,000 members, and a large room every joiner with its first 100. JSON.stringify
// over the member objects was a fifth of the JavaScript of a 10,000-connection storm into one
// room (docs/benchmarks.md), so long pages are built from kept strings instead:
// - each member's JSON, kept per Member object while it lives (the engines hand out the same
//   object for a user while its id and name stay; a rename makes a new one), for pages longer
//   than CACHED_PAGE_FROM, so rooms of ten keep nothing;
// - the last long page's members, their joined JSON and each one's length, so the next page
//   that is the same members (a large room's first page, one joiner after another) reuses it
//   whole, and one with a member more or less (a room of up to 1,000 answering its next join)
//   is the kept JSON with that one member spliced in or cut out.
// The result is the same JSON as encode() gives, with `users` as the frame's last field.
import type { Member, UsersFrame } from "./shared/protocol.ts";
import { encode } from "./shared/protocol.ts";

/** Pages longer than this are encoded from kept strings. */
export const CACHED_PAGE_FROM = 32;

const memberJson = new WeakMap<Member, string>();
/** The last long page: its members (without a passing one at its end), their JSON joined, and each one's JSON length. */
interface KeptPage {
  users: Member[];
  json: string;
  lengths: number[];
}
let last: KeptPage | null = null;

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
  const reused = last === null ? null : fromKept(last, users, n, passing);
  if (reused !== null) return reused + tail;
  const parts = new Array<string>(n);
  const lengths = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const json = memberJsonOf(users[i]!, passing);
    parts[i] = json;
    lengths[i] = json.length;
  }
  last = { users: users.slice(0, n), json: parts.join(","), lengths };
  return last.json + tail;
}

/** `m`'s JSON, kept for the next page unless `m` is the passing member. */
function memberJsonOf(m: Member, passing: Member | undefined): string {
  let json = memberJson.get(m);
  if (json === undefined) {
    json = JSON.stringify(m);
    if (m !== passing) memberJson.set(m, json);
  }
  return json;
}

/**
 * The JSON of the first `n` of `users` made from `kept`, updated in place, when they are its
 * members object for object or differ by one member added or removed; null otherwise.
 */
function fromKept(kept: KeptPage, users: Member[], n: number, passing: Member | undefined): string | null {
  const k = kept.users;
  const m = k.length;
  let i = 0;
  while (i < m && i < n && k[i] === users[i]) i++;
  if (i === m && i === n) return kept.json;
  if (n === m + 1) {
    for (let j = i; j < m; j++) if (k[j] !== users[j + 1]) return null;
    const added = users[i]!;
    const json = memberJsonOf(added, passing);
    const at = offsetOf(kept.lengths, i);
    kept.json = m === 0 ? json : i === m ? `${kept.json},${json}` : `${kept.json.slice(0, at)}${json},${kept.json.slice(at)}`;
    k.splice(i, 0, added);
    kept.lengths.splice(i, 0, json.length);
    return kept.json;
  }
  if (n === m - 1) {
    for (let j = i; j < n; j++) if (k[j + 1] !== users[j]) return null;
    const at = offsetOf(kept.lengths, i);
    const len = kept.lengths[i]!;
    kept.json = n === 0 ? "" : i === n ? kept.json.slice(0, at - 1) : kept.json.slice(0, at) + kept.json.slice(at + len + 1);
    k.splice(i, 1);
    kept.lengths.splice(i, 1);
    return kept.json;
  }
  return null;
}

/** Where member `i`'s JSON starts in the joined JSON: the lengths before it and a comma after each. */
function offsetOf(lengths: number[], i: number): number {
  let at = i;
  for (let j = 0; j < i; j++) at += lengths[j]!;
  return at;
}
