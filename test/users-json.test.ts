// encodeUsers (src/users-json.ts): a long page is encoded from each member's kept JSON; the wire
// form must parse to exactly the frame, whatever the names hold, and follow a rename.
import { expect, test } from "bun:test";
import { usersFrame } from "../src/replies.ts";
import { CACHED_PAGE_FROM, encodeUsers } from "../src/users-json.ts";
import type { Member, UsersFrame } from "../src/shared/protocol.ts";

const AWKWARD = ['quote " in it', "back\\slash", "line\u2028sep", "tab\there", "ünïcödé 🐝", '"users":[]', "}"];

function page(n: number, name = (i: number) => `${AWKWARD[i % AWKWARD.length]} ${i}`): Member[] {
  return Array.from({ length: n }, (_, i) => ({ id: `id-${String(i).padStart(5, "0")}`, name: name(i) }));
}

function frame(users: Member[]): UsersFrame {
  return usersFrame("Lobby \"x\"", { seq: 7, epoch: "e1" }, { count: users.length + 5, users, next: users.at(-1)?.id }, "r-1", 3, false, {
    topic: 'a "topic" with "users":[1]', roles: { 'odd"id': "owner" },
  } as never);
}

test("short and long pages encode to the same JSON as the frame itself", () => {
  for (const n of [0, 1, CACHED_PAGE_FROM, CACHED_PAGE_FROM + 1, 1000]) {
    const f = frame(page(n));
    expect(JSON.parse(encodeUsers(f))).toEqual(JSON.parse(JSON.stringify(f)));
  }
});

test("a second encode of the same members reads the kept JSON; a renamed member (a new object) shows its new name", () => {
  const members = page(CACHED_PAGE_FROM + 50);
  const first = encodeUsers(frame(members));
  expect(encodeUsers(frame(members))).toBe(first);
  const renamed = members.map((m, i) => (i === 3 ? { id: m.id, name: "renamed" } : m));
  const parsed = JSON.parse(encodeUsers(frame(renamed))) as UsersFrame;
  expect(parsed.users[3]).toEqual({ id: members[3]!.id, name: "renamed" });
  expect(parsed.users[4]).toEqual(members[4]!);
});

test("one joiner after another on the same first page: each answer carries its own joiner, and a change in the page shows", () => {
  const kept = page(99);
  const joiners = [{ id: "zz-1", name: "first joiner" }, { id: "zz-2", name: 'second "joiner"' }];
  for (const j of joiners) {
    const users = [...kept, j];
    expect(JSON.parse(encodeUsers(frame(users), j))).toEqual(JSON.parse(JSON.stringify(frame(users))));
  }
  // The joiner among the ordered members (not passing at the end), then a member gone from the page.
  const within = [...kept.slice(0, 50), joiners[0]!, ...kept.slice(50)];
  expect(JSON.parse(encodeUsers(frame(within), joiners[0]))).toEqual(JSON.parse(JSON.stringify(frame(within))));
  const fewer = kept.slice(1);
  expect(JSON.parse(encodeUsers(frame(fewer)))).toEqual(JSON.parse(JSON.stringify(frame(fewer))));
  const other = [...kept.slice(0, 98), { id: "id-99999", name: "replaced" }];
  expect(JSON.parse(encodeUsers(frame(other)))).toEqual(JSON.parse(JSON.stringify(frame(other))));
});

test("a page one member longer or shorter than the last (a join or a leave in a room of up to 1,000) encodes exactly, over a random walk", () => {
  // Seeded, so a failure repeats: joins at random places, leaves, renames (new objects) and pages of other rooms between.
  let seed = 14;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  let members = page(CACHED_PAGE_FROM + 10);
  let serial = 0;
  for (let step = 0; step < 400; step++) {
    const r = rand(10);
    if (r < 5 || members.length <= CACHED_PAGE_FROM + 1) {
      const at = rand(members.length + 1);
      members = [...members.slice(0, at), { id: `new-${serial}`, name: `${AWKWARD[serial % AWKWARD.length]} n${serial++}` }, ...members.slice(at)];
    } else if (r < 8) {
      const at = rand(members.length);
      members = [...members.slice(0, at), ...members.slice(at + 1)];
    } else if (r < 9) {
      const at = rand(members.length);
      members = members.map((m, i) => (i === at ? { id: m.id, name: `renamed ${step}` } : m));
    } else {
      const other = page(CACHED_PAGE_FROM + 5, (i) => `other ${step} ${i}`);
      expect(JSON.parse(encodeUsers(frame(other)))).toEqual(JSON.parse(JSON.stringify(frame(other))));
    }
    const f = frame(members);
    expect(encodeUsers(f)).toBe(`${JSON.stringify({ ...f, users: undefined }).slice(0, -1)},"users":${JSON.stringify(members)}}`);
  }
});
