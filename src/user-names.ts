// Names: who is called what. A name belongs to a user (every tab of that user shows it), is
// unique across the cluster by its key (name-key.ts), and is claimed in the engine's registry by
// the user's first connection on a node and released with its last. A rename changes the user's
// name in every room and every tab, on every node (through the engine's control channel), or,
// when the engine fails halfway, nowhere: what was done is undone before the error goes out.
import { andThen, type Awaitable } from "./awaitable.ts";
import type { Config } from "./config.ts";
import type { ControlMessage, Engine } from "./engine/engine.ts";
import type { Hub } from "./hub.ts";
import type { ResumeTokens } from "./identity.ts";
import { LargeRenames } from "./large-renames.ts";
import { guestName, isReservedKey, nameKey, normalizeName } from "./names.ts";
import { ErrorCode } from "./shared/codes.ts";
import { NAME_RULE } from "./shared/names.ts";
import type { Member, Ref } from "./shared/protocol.ts";
import type { Session } from "./session.ts";

/** Attempts at a free `guest-xxxx` name before widening to more hex digits. */
const GUEST_ATTEMPTS = 8;

export type NameCheck = { ok: true; name: string; key: string } | { ok: false; message: string };

/** A requested name against the shape rules and the reserved list. */
export function checkName(raw: string): NameCheck {
  const name = normalizeName(raw);
  if (name === null) return { ok: false, message: NAME_RULE };
  const key = nameKey(name);
  if (isReservedKey(key)) return { ok: false, message: `the name ${name} is reserved` };
  return { ok: true, name, key };
}

export class UserNames {
  /** Renames in large rooms, which send no diffs: announced per interval (large-renames.ts). */
  private readonly largeRenames: LargeRenames;

  constructor(
    private readonly hub: Hub,
    private readonly engine: Engine,
    private readonly config: Config,
    /** Guests' resume tokens; null with AUTH_SECRET (token users need none). */
    private readonly tokens: ResumeTokens | null,
  ) {
    this.largeRenames = new LargeRenames(engine, config.largePresenceIntervalMs);
  }

  stop(): void {
    this.largeRenames.stop();
  }

  /**
   * Gives an admitting session its user's name: the one its other tabs here already show, or
   * `name` claimed now. False when another user holds it.
   */
  claim(s: Session, name: string, key: string): Awaitable<boolean> {
    const tab = this.hub.anySessionOf(s.userId);
    if (tab) {
      s.claimed(tab.name, tab.nameKey, tab.member);
      return true;
    }
    const member = { id: s.userId, name };
    // The key is usually the name itself: then one string serves both (the engine keeps it).
    const k = key === name ? name : key;
    return andThen(this.engine.names.claim(k, member), (ok) => {
      if (ok) s.claimed(name, k, member);
      return ok;
    });
  }

  /** A free `guest-xxxx` name; the attempts after the first GUEST_ATTEMPTS use more digits. */
  claimGuest(s: Session, attempt = 0): Awaitable<boolean> {
    if (attempt >= GUEST_ATTEMPTS * 3) return false;
    const name = guestName(4 + Math.floor(attempt / GUEST_ATTEMPTS) * 2);
    return andThen(this.claim(s, name, nameKey(name)), (ok) => ok || this.claimGuest(s, attempt + 1));
  }

  /** The user's last connection here is gone: its name is free as far as this node goes. */
  release(userId: string, key: string): Awaitable<void> {
    if (key) return this.engine.names.release(key, userId);
  }

  /** What the session is now: `welcome`'s identity part, and the `identity` frame after a rename. */
  identity(s: Session): { id: string; name: string; resume?: string } {
    const who = { id: s.userId, name: s.name };
    return this.tokens ? { ...who, resume: this.tokens.issue(who) } : who;
  }

  /** `nick` and `/nick`: renames the user everywhere; answered with `identity`. */
  rename(s: Session, raw: string, ref: Ref | undefined): Awaitable<void> {
    if (this.config.authSecret) return s.fail(ErrorCode.Unauthorized, "your name comes from your token", ref);
    const c = checkName(raw);
    if (!c.ok) return s.fail(ErrorCode.InvalidName, c.message, ref);
    if (c.name === s.name) return this.tell(s.userId, s, ref);
    const next: Member = { id: s.userId, name: c.name };
    return andThen(this.engine.names.claim(c.key, next), (ok) => {
      if (!ok) return s.fail(ErrorCode.NameTaken, `the name ${c.name} is taken`, ref);
      const oldKey = s.nameKey;
      return andThen(this.apply(s.userId, c.name, c.key, next), () =>
        andThen(oldKey !== c.key ? this.release(s.userId, oldKey) : undefined, () =>
          andThen(this.engine.broker.control({ type: "renamed", userId: s.userId, name: c.name }), () => this.tell(s.userId, s, ref)),
        ),
      );
    });
  }

  /** Another node renamed one of our users (or this one did: then nothing is left to do). */
  onControl(msg: Extract<ControlMessage, { type: "renamed" }>): Awaitable<void> {
    const tabs = this.hub.sessionsOf(msg.userId);
    const tab = tabs[0];
    if (!tab || tab.name === msg.name) return;
    const c = checkName(msg.name);
    if (!c.ok) return;
    const oldKey = tab.nameKey;
    const next: Member = { id: msg.userId, name: c.name };
    return andThen(this.engine.names.claim(c.key, next), () =>
      andThen(this.apply(msg.userId, c.name, c.key, next), () =>
        andThen(oldKey !== c.key ? this.release(msg.userId, oldKey) : undefined, () => this.tell(msg.userId)),
      ),
    );
  }

  /**
   * Renames every session of the user here and its membership in each of their rooms (a join
   * with the same id and the new name). If the engine fails halfway, every step is undone.
   */
  private apply(userId: string, name: string, key: string, next: Member): Awaitable<void> {
    const tabs = this.hub.sessionsOf(userId);
    const before = tabs.map((t) => ({ t, name: t.name, key: t.nameKey, member: t.member }));
    const prev = before[0]!.member;
    for (const t of tabs) t.claimed(name, key, next);
    const rooms = [...new Set(tabs.flatMap((t) => t.rooms))];
    const done: string[] = [];
    const undo = (err: unknown): never => {
      for (const b of before) b.t.claimed(b.name, b.key, b.member);
      for (const room of done) void Promise.resolve(this.engine.presence.join(room, prev)).catch(() => {});
      // The new key may be the old one (a rename to another spelling of the same name): then
      // it is still the user's, and gets its old holder back instead of being freed.
      const restored = key === before[0]!.key ? this.engine.names.claim(key, prev) : this.release(userId, key);
      void Promise.resolve(restored).catch(() => {});
      throw err;
    };
    const step = (i: number): Awaitable<void> => {
      if (i >= rooms.length) {
        // Done in every room: the large ones, which sent no diff for it, are told per interval.
        for (const room of rooms) if (this.hub.tiers.isLarge(room)) this.largeRenames.add(room, next);
        return;
      }
      const room = rooms[i]!;
      return andThen(this.engine.presence.join(room, next), () => {
        done.push(room);
        return step(i + 1);
      });
    };
    try {
      const r = step(0);
      return r instanceof Promise ? r.catch(undo) : r;
    } catch (err) {
      return undo(err);
    }
  }

  /** Sends each session of the user its new identity; `s` gets it with the request's ref. */
  private tell(userId: string, s?: Session, ref?: Ref): void {
    for (const t of this.hub.sessionsOf(userId)) {
      const frame = { type: "identity" as const, ...this.identity(t) };
      t.send(t === s && ref !== undefined ? { ...frame, ref } : frame);
    }
  }
}
