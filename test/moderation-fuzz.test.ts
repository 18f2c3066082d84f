// Fuzzing the room rules and the room action frames (topic, invite, kick, ban, unban, mute,
// unmute, role, mode, list, and their slash commands): first the pure rules with random states,
// actors and actions, then a live server fed random and malformed frames by a member and a
// stranger. Nothing throws out, every reply is a valid frame, and no permission is gained: the
// rooms' states are exactly as before. Raise FUZZ_RUNS to search longer.
import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { decide, holds, roleOf, type Actor, type RoomState } from "../src/room-rules.ts";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { parseServerFrame, type ServerFrame } from "../src/shared/protocol.ts";
import { ROLE_RANK, type RoomChange } from "../src/shared/roles.ts";
import { API_KEY, api } from "./api-helpers.ts";
import { mutate, nastyNumber, nastyString, ref, value } from "./arbitraries.ts";
import { TestClient, startServer, type Joined } from "./helpers.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

describe("room rules (unit)", () => {
  const NOW = 1_800_000_000_000;
  const others = fc.constantFrom("m1", "m2", "u1", "u2");
  const until = fc.oneof(fc.constant(0), fc.integer({ min: NOW - 10_000, max: NOW + 10_000 }));
  const state: fc.Arbitrary<RoomState> = fc.record({
    topic: fc.string({ maxLength: 5 }),
    visibility: fc.constantFrom("public", "private"),
    moderated: fc.boolean(),
    slowmode: fc.nat(100),
    roles: fc.dictionary(others, fc.constantFrom("moderator", "member")),
    bans: fc.dictionary(fc.constantFrom("owner", "m1", "u1", "u2"), until),
    mutes: fc.dictionary(fc.constantFrom("owner", "m1", "u1", "u2"), until),
  }).map((s) => ({ v: 3, owner: "owner", ...s }) as RoomState);
  const target = fc.constantFrom("owner", "m1", "m2", "u1", "u2", "nobody").map((id) => ({ id, name: id }));
  const change: fc.Arbitrary<RoomChange> = fc.oneof(
    fc.record({ type: fc.constant("topic"), text: fc.string({ maxLength: 5 }) }),
    fc.record({ type: fc.constantFrom("invite", "unban", "unmute"), user: target }),
    fc.record({ type: fc.constant("kick"), user: target, reason: opt(fc.string({ maxLength: 5 })) }, { requiredKeys: ["type", "user"] }),
    fc.record({ type: fc.constantFrom("ban", "mute"), user: target, seconds: opt(fc.integer({ min: 1, max: 100 })) }, { requiredKeys: ["type", "user"] }),
    fc.record({ type: fc.constant("role"), user: target, role: fc.constantFrom("owner", "moderator", "member") }),
    fc.record({ type: fc.constant("mode"), visibility: opt(fc.constantFrom("public", "private")), moderated: opt(fc.boolean()), slowmode: opt(fc.nat(100)) }, { requiredKeys: ["type"] }),
  ) as fc.Arbitrary<RoomChange>;
  const actor: fc.Arbitrary<Actor> = fc.record({ id: fc.constantFrom("owner", "m1", "m2", "u1", "u2", "stranger"), admin: fc.boolean() }).map(({ id, admin }) => ({ member: { id, name: id }, admin }));

  it("refuses members everything, never lets anyone but the owner touch the owner, visibility or moderators, and never raises the actor", () => {
    fc.assert(
      fc.property(state, actor, change, (s, a, c) => {
        const d = decide(s, a, c, NOW);
        const rank = (st: RoomState) => ROLE_RANK[roleOf(st, a.member.id)];
        if (rank(s) < ROLE_RANK.moderator && !a.admin) expect(d.ok).toBe(false);
        if (!d.ok || d.next === null) return;
        const n = d.next;
        expect(n.v).toBe(s.v + 1);
        expect(rank(n)).toBeLessThanOrEqual(rank(s));
        // Nobody bans or mutes the owner (the owner cannot act on itself either).
        expect(holds(n.bans.owner, NOW)).toBe(holds(s.bans.owner, NOW));
        expect(holds(n.mutes.owner, NOW)).toBe(holds(s.mutes.owner, NOW));
        if (roleOf(s, a.member.id) === "owner") return;
        expect([n.owner, n.visibility]).toEqual([s.owner, s.visibility]);
        for (const [id, role] of Object.entries(s.roles)) if (role === "moderator") expect(n.roles[id]).toBe("moderator");
      }),
      { numRuns: RUNS * 5 },
    );
  });
});

describe("live room action fuzz", () => {
  it("a member's and a stranger's random room frames: valid replies only, no `ok`, and every room's state unchanged", async () => {
    await using app = await startServer({ apiKey: [API_KEY], rateLimit: 100_000, joinRateLimit: 100_000, requestRateLimit: 100_000, maxPayloadBytes: 4096 });
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    // alice owns every room: bob is a member of den, eve of lobby and a stranger to den and vault.
    for (const r of ["vault", "lobby"]) expect(await alice.request({ type: "join", room: r })).toMatchObject({ role: "owner" });
    expect(await alice.request({ type: "mode", room: "vault", visibility: "private" })).toMatchObject({ type: "ok" });
    expect(await alice.request({ type: "topic", room: "den", text: "fixed" })).toMatchObject({ type: "ok" });
    let bob = await TestClient.join(app, { name: "bob", room: "den" });
    let eve = await TestClient.join(app, { name: "eve", room: "lobby" });
    const rooms = ["den", "vault", "lobby"] as const;
    const before = await Promise.all(rooms.map((r) => api(app, "GET", `/rooms/${r}`)));

    const room = fc.oneof(fc.constantFrom("den", "vault", "lobby", "nosuch", "DEN", " den", ""), nastyString);
    const who = fc.oneof(fc.constantFrom("alice", "ALICE", "bob", "eve", alice.id, bob.id, eve.id, "~system"), nastyString);
    const seconds = fc.oneof(fc.nat(), nastyNumber);
    const text = fc.oneof(nastyString, fc.constant("x".repeat(401)));
    const action = fc.oneof(
      fc.record({ type: fc.constant("topic"), room, text, ref }, { requiredKeys: ["type"] }),
      fc.record({ type: fc.constantFrom("invite", "unban", "unmute"), room, user: who, ref }, { requiredKeys: ["type"] }),
      fc.record({ type: fc.constant("kick"), room, user: who, reason: text, ref }, { requiredKeys: ["type"] }),
      fc.record({ type: fc.constantFrom("ban", "mute"), room, user: who, reason: text, seconds, ref }, { requiredKeys: ["type"] }),
      fc.record({ type: fc.constant("role"), room, user: who, role: fc.oneof(fc.constantFrom("owner", "moderator", "member", "admin"), nastyString), ref }, { requiredKeys: ["type"] }),
      fc.record({ type: fc.constant("mode"), room, visibility: fc.oneof(fc.constantFrom("public", "private", "secret"), value), moderated: fc.oneof(fc.boolean(), value), slowmode: seconds, ref }, { requiredKeys: ["type"] }),
      fc.record({ type: fc.constant("list"), cursor: nastyString, ref }, { requiredKeys: ["type"] }),
    );
    const slash = fc
      .tuple(fc.constantFrom("topic", "invite", "kick", "ban", "unban", "mute", "unmute", "op", "deop", "owner", "private", "public", "moderated", "slowmode", "list", "OP"), who, fc.constantFrom("", " 10m", " 0", " on", " off", " spam spam"), opt(room))
      .map(([cmd, user, rest, r]) => JSON.stringify({ type: "chat", text: `/${cmd} ${user}${rest}`, room: r }));
    const keys = fc.constantFrom("type", "room", "user", "text", "reason", "seconds", "role", "visibility", "moderated", "slowmode", "cursor", "ref", "__proto__");
    const frame = fc.oneof(action.map((f) => JSON.stringify(f)), slash, fc.tuple(action, keys, value, fc.boolean()).map(([f, k, v, drop]) => mutate(f, k, v, drop)));

    const frames = fc.sample(frame, { numRuns: RUNS, seed: 12 });
    const received: ServerFrame[] = [];
    /** Sends a batch and waits for its handling; a client closed for abuse comes back as the same user. */
    const feed = async (c: TestClient & Joined, batch: string[], room: string) => {
      for (const f of batch) c.send(f);
      if (await c.sync().then(() => true, () => false)) return c;
      expect([CloseCode.Abuse, CloseCode.TooBig]).toContain((await c.closed).code as 1008 | 1009);
      received.push(...c.log);
      return TestClient.join(app, { resume: c.resume!, room });
    };
    for (let i = 0; i < frames.length; i += 50) {
      bob = await feed(bob, frames.slice(i, i + 25), "den");
      eve = await feed(eve, frames.slice(i + 25, i + 50), "lobby");
    }
    await alice.sync();
    received.push(...bob.log, ...eve.log, ...alice.log);
    for (const f of received) expect(parseServerFrame(JSON.stringify(f))).not.toBeNull();
    expect([...bob.log, ...eve.log].filter((f) => f.type === "ok")).toEqual([]);
    // The fuzz reached the rules, not only the parser: refused for role, for not being in the room, for bad fields.
    const codes = new Set(received.flatMap((f) => (f.type === "error" ? [f.code] : [])));
    for (const code of [ErrorCode.Forbidden, ErrorCode.NotInRoom, ErrorCode.InvalidMessage, ErrorCode.NoSuchUser]) expect(codes).toContain(code);
    expect(received.some((f) => f.type === "list")).toBe(true);

    // No permission gained: the same states, the same record of changes, bob still a plain member, eve still out.
    expect(await Promise.all(rooms.map((r) => api(app, "GET", `/rooms/${r}`)))).toEqual(before);
    expect(alice.all("message").filter((m) => m.kind === "room")).toHaveLength(2);
    expect(await bob.chat("still a member", "den")).toMatchObject({ type: "ack" });
    expect(await eve.request({ type: "join", room: "vault" })).toMatchObject({ code: ErrorCode.Forbidden });
    await Promise.all([bob.close(), eve.close()]);
  }, 30_000);
});
