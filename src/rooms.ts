// Rooms: joining, leaving and reading rooms, for connections and for the server itself. The
// session-independent part (members, post, removeUser) is what an HTTP API or a moderator calls;
// the session requests (join, leave, who, history) answer the client with exactly one reply
// carrying its `ref`. Membership of this node is the Hub's; the cluster's is the engine's.
import { andThen, type Awaitable } from "./awaitable.ts";
import type { Engine, HistoryPage, HistoryQuery, MemberPage, MessageDraft, Published, RoomPage, SendKey } from "./engine/engine.ts";
import type { Hub } from "./hub.ts";
import type { ReadMarkerStore } from "./read-markers.ts";
import { nameKey } from "./name-key.ts";
import { largeFirstPage } from "./presence-tiers.ts";
import type { RoomAccess } from "./room-access.ts";
import { roomInfo, type RoomState } from "./room-rules.ts";
import { historyFrame, isRecovery, usersFrame } from "./replies.ts";
import { encodeUsers } from "./users-json.ts";
import { ErrorCode } from "./shared/codes.ts";
import { DEFAULT_HISTORY_LIMIT, LARGE_FIRST_PAGE, MAX_HISTORY_LIMIT, MAX_ROOMS_PER_CONNECTION, MAX_WHO_LIMIT } from "./shared/limits.ts";
import { ROOM_RULE, normalizeRoom } from "./shared/names.ts";
import type { LeftFrame, Member, Ref } from "./shared/protocol.ts";
import type { Session } from "./session.ts";
import { noEvents, type EventSink } from "./webhooks/events.ts";

/** Where a join resumes: the last seq the client saw, in which epoch. */
export interface Resume {
  since?: number;
  epoch?: string;
}

export class Rooms {
  constructor(
    private readonly hub: Hub,
    private readonly engine: Engine,
    /** Where message.created goes (webhooks); nowhere by default. */
    private readonly events: EventSink = noEvents,
    /** Read markers, for a join's `lastRead` (read-markers.ts); none: joins carry no `lastRead`. */
    private readonly markers: ReadMarkerStore | null = null,
    /** Who may enter which room (room-access.ts); null: every room is open (unit tests of the bare room service). */
    readonly access: RoomAccess | null = null,
  ) {}

  // ---- the server's side: no session needed ---------------------------------------------------

  /** One page of a room's members across the cluster, ordered by id. */
  members(room: string, after?: string, limit = MAX_WHO_LIMIT): Awaitable<MemberPage> {
    return this.engine.presence.page(room, after, limit);
  }

  /**
   * Publishes a message into a room (from a member, or from a server identity). This node
   * published it, so this node reports it (once in the cluster; never a cid's retry).
   */
  post(room: string, draft: MessageDraft, key?: SendKey): Awaitable<Published> {
    const published = this.engine.broker.publish(room, draft, key);
    // Without webhooks the chat path is exactly the engine's publish.
    if (this.events === noEvents) return published;
    return andThen(published, (p) => {
      if (!p.duplicate) {
        const { type: _, ...data } = p.message;
        this.events.emit("message.created", data, p.message.ts);
      }
      return p;
    });
  }

  /** A page of a room's kept messages: `after` reads forward, else the newest (before `before`). */
  messages(room: string, q: { before?: number; after?: number; limit?: number }): Awaitable<HistoryPage> {
    const limit = q.limit ?? DEFAULT_HISTORY_LIMIT;
    const query: HistoryQuery = q.after !== undefined ? { after: q.after, limit } : q.before !== undefined ? { before: q.before, limit } : { limit };
    return this.engine.history.page(room, query);
  }

  /** Whether user `userId` is in `room` on any node (one look-up, whatever the room's size). */
  has(room: string, userId: string): Awaitable<boolean> {
    return andThen(this.engine.presence.find(room, userId), (p) => p.users.length > 0);
  }

  /** A page of the rooms with members, across the cluster, ordered by name. */
  list(after: string | undefined, limit: number): Awaitable<RoomPage> {
    return this.engine.presence.rooms(after, limit);
  }

  /** Takes every connection of a user on this node out of a room; each is told `left` (with why, for a kick or ban). */
  removeUser(userId: string, room: string, why?: { reason: "kicked" | "banned"; by: Member }): Awaitable<void> {
    let last = false;
    let member = null;
    const left: LeftFrame = why ? { type: "left", room, reason: why.reason, by: why.by } : { type: "left", room };
    for (const s of this.hub.sessionsOf(userId)) {
      if (!s.rooms.includes(room)) continue;
      member = s.member;
      last = this.hub.exit(s, room);
      s.send(left);
    }
    if (last && member) return this.engine.presence.leave(room, member);
  }

  // ---- a connection's requests ----------------------------------------------------------------

  /**
   * Joins `room` (a re-join of a room the session is in just answers again). With `since`, the
   * missed messages come first, as a `history` frame; the answer is the room's first `users`
   * page. If the engine fails on the way in, the join is undone here before the error goes out:
   * no subscription or membership is left behind for a client that was told it failed.
   */
  join(s: Session, raw: string, resume: Resume, ref?: Ref): Awaitable<void> {
    const room = normalizeRoom(raw);
    if (room === null) return s.fail(ErrorCode.InvalidRoom, ROOM_RULE, ref);
    if (!s.mayJoin(room)) return s.fail(ErrorCode.Unauthorized, `your token does not allow room ${room}`, ref);
    const already = s.rooms.includes(room);
    if (!already && s.rooms.length >= MAX_ROOMS_PER_CONNECTION) return s.fail(ErrorCode.TooManyRooms, `at most ${MAX_ROOMS_PER_CONNECTION} rooms per connection`, ref);
    if (this.access === null) return this.enter(s, room, already, null, resume, ref);
    return andThen(this.access.enter(s, room), (r) => (r.ok ? this.enter(s, room, s.rooms.includes(room), r.state, resume, ref) : s.fail(r.code, r.message, ref)));
  }

  private enter(s: Session, room: string, already: boolean, state: RoomState | null, resume: Resume, ref?: Ref): Awaitable<void> {
    const first = !already && this.hub.enter(s, room);
    try {
      const joined = first ? this.engine.presence.join(room, s.member) : undefined;
      const answered = andThen(joined, () => this.answerJoin(s, room, state, resume, ref));
      return already || !(answered instanceof Promise) ? answered : answered.catch((err: unknown) => this.undoJoin(s, room, first, err));
    } catch (err) {
      if (already) throw err;
      return this.undoJoin(s, room, first, err);
    }
  }

  /** A join the engine failed: taken back here (and, best effort, in the engine) before the error goes out. */
  private undoJoin(s: Session, room: string, first: boolean, err: unknown): never {
    if (this.hub.exit(s, room) && first) void Promise.resolve(this.engine.presence.leave(room, s.member)).catch(() => {});
    throw err;
  }

  private answerJoin(s: Session, room: string, state: RoomState | null, resume: Resume, ref?: Ref): Awaitable<void> {
    const replayed = resume.since === undefined ? undefined : this.replay(s, room, resume.since, resume.epoch);
    return andThen(replayed, () =>
      andThen(this.engine.history.position(room), (pos) =>
        andThen(this.joinPage(s, room), ({ page, large }) =>
          andThen(this.markers?.get(s.userId, room), (read) =>
            s.sendEncoded(encodeUsers(usersFrame(room, pos, page, ref, read?.epoch === pos.epoch ? read.seq : undefined, large, this.info(s, state)), large ? s.member : undefined)),
          ),
        ),
      ),
    );
  }

  /** The room's settings for `s` (none without an access service). */
  private info(s: Session, state: RoomState | null) {
    return this.access === null ? undefined : roomInfo(state, s.userId, s.admin);
  }

  /**
   * A join's page: the room's first page, or for a large room (presence-tiers.ts) its first
   * LARGE_FIRST_PAGE members with the joiner among them. The count read here also updates the
   * room's tier, so the answer and the frames that follow agree.
   */
  private joinPage(s: Session, room: string): Awaitable<{ page: MemberPage; large: boolean }> {
    const limit = this.hub.tiers.isLarge(room) ? LARGE_FIRST_PAGE : MAX_WHO_LIMIT;
    return andThen(this.members(room, undefined, limit), (page) =>
      this.hub.tiers.observe(room, page.count) ? { page: largeFirstPage(page, s.member), large: true } : { page, large: false },
    );
  }

  /** The messages after `since`, or (when they cannot all be had) the newest page, said so. */
  private replay(s: Session, room: string, since: number, epoch: string | undefined): Awaitable<void> {
    return andThen(this.engine.history.page(room, { after: since, limit: MAX_HISTORY_LIMIT }), (page) => {
      if (isRecovery(since, epoch, page)) return s.send(historyFrame(room, page, true, { recovered: true }));
      return andThen(this.engine.history.page(room, { limit: DEFAULT_HISTORY_LIMIT }), (newest: HistoryPage) =>
        s.send(historyFrame(room, newest, false, { recovered: false })),
      );
    });
  }

  leave(s: Session, raw: string | undefined, ref?: Ref): Awaitable<void> {
    const room = this.memberRoom(s, raw, ref);
    if (room === null) return;
    const member = s.member;
    const left = this.hub.exit(s, room) ? this.engine.presence.leave(room, member) : undefined;
    return andThen(left, () => s.send(ref === undefined ? { type: "left", room } : { type: "left", room, ref }));
  }

  /** A page of a room's member list (`who`, `/who`). */
  who(s: Session, raw: string | undefined, after: string | undefined, limit: number | undefined, ref?: Ref): Awaitable<void> {
    const room = this.memberRoom(s, raw, ref);
    if (room === null) return;
    return andThen(this.access?.state(room), (state = null) =>
      andThen(this.engine.history.position(room), (pos) =>
        andThen(this.members(room, after, limit), (page) => s.sendEncoded(encodeUsers(usersFrame(room, pos, page, ref, undefined, false, this.info(s, state))))),
      ),
    );
  }

  /**
   * `who {room, id}` or `who {room, name}`: the one user asked for, found without paging (a
   * large room's list is too long to search on the client), with the room's count; `users` is
   * empty when that user is not in the room. A name is compared on its key, as everywhere.
   */
  lookup(s: Session, raw: string, user: { id?: string; name?: string }, ref?: Ref): Awaitable<void> {
    const room = this.memberRoom(s, raw, ref);
    if (room === null) return;
    const id = user.id ?? andThen(this.engine.names.lookup(nameKey(user.name ?? "")), (m) => m?.id ?? null);
    return andThen(this.engine.history.position(room), (pos) =>
      andThen(id, (userId) =>
        // Nobody holds the name: the answer is the count alone (a page of no members).
        andThen(userId === null ? this.members(room, undefined, 0) : this.engine.presence.find(room, userId), (page) => s.sendEncoded(encodeUsers(usersFrame(room, pos, page, ref)))),
      ),
    );
  }

  /** A page of a room's kept messages. */
  history(s: Session, raw: string, q: { before?: number; after?: number; limit?: number }, ref?: Ref): Awaitable<void> {
    const room = this.memberRoom(s, raw, ref);
    if (room === null) return;
    return andThen(this.messages(room, q), (page) => s.send(historyFrame(room, page, q.after !== undefined, { ref })));
  }

  /**
   * The room a request names, if the session is in it; `undefined` means the session's first
   * room. Answers `invalid_room` / `not_in_room` and returns null otherwise.
   */
  memberRoom(s: Session, raw: string | undefined, ref?: Ref): string | null {
    const room = raw === undefined ? (s.rooms[0] ?? null) : normalizeRoom(raw);
    if (raw !== undefined && room === null) {
      s.fail(ErrorCode.InvalidRoom, ROOM_RULE, ref);
      return null;
    }
    if (room === null || !s.rooms.includes(room)) {
      s.fail(ErrorCode.NotInRoom, room === null ? "you are not in any room" : `you are not in room ${room}`, ref);
      return null;
    }
    return room;
  }
}
