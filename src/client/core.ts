// ClientCore: the state behind a HubbubClient and the routing of frames through it; client.ts
// puts the SDK's public API on top (a subclass, so both work on one object with no forwarding).
// Link (link.ts) owns the socket's lifecycle (connect, reconnect with backoff, dead-link
// detection) and Resync (resync.ts) what follows each connect; this file routes frames to the
// pieces that keep state: Rooms and their RoomState (user lists, exactly-once message stream),
// Identity, Outbox (sends, their cids and acks), Pacer and Requests (replies tied to requests by
// ref), Typists and ReadMarkers.
import { DEFAULT_BACKOFF } from "../shared/backoff.ts";
import { DEFAULT_ROOM, ROOM_RULE, normalizeRoom } from "../shared/names.ts";
import type { ClientFrame, ServerFrame, StreamEntry } from "../shared/protocol.ts";
import { deferred, type Deferred } from "./deferred.ts";
import { Emitter } from "./emitter.ts";
import { ClientErrorCode, HubbubError } from "./errors.ts";
import type { ClientEvents, Frame } from "./events.ts";
import { handshakeRequest } from "./handshake.ts";
import { Identity } from "./identity.ts";
import { createLink, type Link } from "./link.ts";
import { Outbox } from "./outbox.ts";
import { createPacer, type Pacer } from "./pacer.ts";
import { createReadMarkers, type ReadMarkers } from "./reads.ts";
import { Requests } from "./requests.ts";
import type { HubbubClientOptions } from "./options.ts";
import { Resync } from "./resync.ts";
import { applyPresence } from "./members.ts";
import { Rooms } from "./rooms.ts";
import type { Unref } from "./sync.ts";
import { createTypists, type Typists } from "./typing.ts";

export const closedError = () => new HubbubError(ClientErrorCode.Closed, "the client was closed");
const lostError = () => new HubbubError(ClientErrorCode.ConnectionLost, "not connected");

/** A random prefix for this client's cids: unique among a user's tabs, which share one user id. */
function randomId(): string {
  return [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class ClientCore {
  protected readonly url: string | URL;
  protected readonly token: string | undefined;
  protected readonly link: Link;
  protected readonly events = new Emitter<ClientEvents>();
  protected readonly rooms_: Rooms;
  protected readonly resync: Resync;
  protected readonly outbox = new Outbox(randomId());
  protected readonly requests = new Requests();
  protected readonly identity: Identity;
  /** Resolves at the next "connected"; replaced after each disconnect. */
  protected ready: Deferred<void> = deferred();
  /** connect() was called and close() was not, nor did the server refuse for good. */
  protected started = false;
  /** close() was called or the server refused for good; waiting callers fail. */
  protected finished = false;
  protected readonly pacer: Pacer = createPacer(() => this.flush());
  protected closing: Promise<void> | null = null;
  protected readonly typists: Typists = createTypists((room, users) => this.events.emit("typists", { room, users }));
  /** When (ms) this client last sent `typing` per room. */
  protected readonly typedAt = new Map<string, number>();
  protected readonly reads: ReadMarkers = createReadMarkers({
    send: (room, seq) => this.requestOf({ type: "read", room, seq }, "read").then((f) => f.seq),
    changed: (room, seq) => this.events.emit("lastRead", { room, seq }),
  });

  constructor(options: HubbubClientOptions) {
    this.url = options.url;
    this.token = options.token;
    this.identity = new Identity(options.name ?? null, options.resume ?? null, {
      name: (name) => this.events.emit("name", name),
      resume: (token) => this.events.emit("resume", token),
    });
    this.rooms_ = new Rooms(options.rooms ?? [DEFAULT_ROOM], options.history ?? false, (names) => this.events.emit("rooms", names));
    this.resync = new Resync(this.rooms_, {
      request: (frame, reply) => this.requestOf(frame, reply),
      emit: (type, event) => this.events.emit(type, event),
      deliver: (m) => this.deliver(m),
      lastRead: (room, seq, reset) => {
        if (reset) this.reads.reset(room);
        if (seq !== undefined) this.reads.raise(room, seq, true);
      },
      leave: (room) => void this.request({ type: "leave", room }).catch(() => {}),
      connected: () => {
        this.link.connected();
        this.ready.resolve();
        this.flush();
        this.reads.flush();
      },
    });
    const linkOptions = {
      reconnect: { ...DEFAULT_BACKOFF, ...options.reconnect },
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      WebSocket: options.WebSocket ?? globalThis.WebSocket,
    };
    this.link = createLink(linkOptions, {
      handshake: () => this.resync.begin((room, from) => handshakeRequest({ url: this.url, token: this.token, name: this.identity.name, resume: this.identity.resume, room, from })),
      frame: (f) => this.receive(f),
      lost: (err) => this.lost(err),
      refused: (err) => this.refused(err),
      nameTakenRepeatedly: () => this.identity.forgetName(),
      state: (s) => this.events.emit("state", s),
    });
  }

  // ---- connection ------------------------------------------------------------------------

  /** The socket is gone: requests on it fail, sends in flight go back to the queue. */
  protected lost(err: HubbubError): void {
    this.pacer.cancel();
    this.typists.clear();
    this.resync.lost(err);
    this.requests.failAll(err);
    this.outbox.disconnected();
    this.rooms_.abortSyncs();
    if (this.ready.settled) this.ready = deferred();
  }

  protected refused(err: HubbubError): void {
    this.started = false;
    this.finished = true;
    this.fail(err);
  }

  /** Fails everything waiting on this client for good. */
  protected fail(err: HubbubError): void {
    this.outbox.failAll(err);
    this.rooms_.failJoins(err);
    this.ready.reject(err);
    this.ready = deferred();
  }

  // ---- inbound ---------------------------------------------------------------------------

  protected receive(f: ServerFrame): void {
    // A reply settles its request or send; its effects on state are applied below all the same.
    if (!this.requests.offer(f)) this.outbox.offer(f);
    switch (f.type) {
      case "welcome":
        this.pacer.restart(f.limits.ratePerSecond);
        this.identity.welcome(f);
        break;
      case "identity":
        this.identity.apply(f);
        break;
      case "users":
        this.resync.offer(f);
        break;
      case "presence": {
        const r = this.rooms_.get(f.room);
        if (r) applyPresence(r, f, (after) => this.requestOf({ type: "who", room: f.room, after }, "users"), (e) => this.events.emit("roster", e));
        break;
      }
      // The room's stream: delivered once each, in seq order (held while the room syncs).
      case "message":
      case "edited":
      case "deleted":
      case "reaction":
        for (const m of this.rooms_.get(f.room)?.live(f) ?? []) this.deliver(m);
        return;
      case "typing":
        if (this.rooms_.get(f.room)) this.typists.apply(f.room, f.users, this.identity.id);
        break;
      case "read":
        if (this.rooms_.get(f.room)) this.reads.raise(f.room, f.seq, true);
        break;
      case "history":
        this.rooms_.get(f.room)?.offerReplay(f);
        break;
      case "epoch": {
        const r = this.rooms_.get(f.room);
        if (!r) break;
        this.events.emit("reset", { room: f.room, epoch: f.epoch, previous: r.restart(f.epoch, f.seq) });
        break;
      }
      case "left":
        this.rooms_.leave(f.room);
        this.typists.clear(f.room);
        this.reads.reset(f.room);
        break;
      case "shutdown":
      case "list":
      case "ack":
      case "direct":
      case "notice":
      case "ok":
      case "error":
      case "pong":
        break;
      default: {
        const never: never = f;
        return never;
      }
    }
    this.events.emit(f.type, f as never);
  }

  /** One entry of a room's stream, once, in order: kept in the room's message list, then emitted; a message's sender is no longer typing. */
  protected deliver(e: StreamEntry): void {
    const list = this.rooms_.get(e.room)?.list;
    if (e.type === "message") {
      this.typists.spoke(e.room, e.from.id);
      list?.append(e);
      this.events.emit("message", e);
      return;
    }
    const changed = list?.apply(e);
    this.events.emit(e.type, e as never);
    if (changed) this.events.emit("changed", { room: e.room, message: changed });
  }

  // ---- outbound --------------------------------------------------------------------------

  /** Writes queued sends in order, paced under the server's rate limit; only when connected. */
  protected flush(): void {
    if (this.link.state.state !== "connected" || !this.pacer.ready) return;
    for (const e of this.outbox.queued()) {
      if (!this.pacer.take()) return;
      if (!this.link.send(e.frame)) return;
      this.outbox.markSent(e);
    }
  }

  /** Sends `frame` with a fresh ref on the current socket; resolves with the one reply carrying it. */
  protected request(frame: Unref<ClientFrame>): Promise<ServerFrame> {
    if (!this.link.open) return Promise.reject(lostError());
    const { ref, done } = this.requests.open();
    this.link.send({ ...frame, ref } as ClientFrame);
    return done;
  }

  /** request(), and the reply must be a `reply` frame. */
  protected async requestOf<K extends ServerFrame["type"]>(frame: Unref<ClientFrame>, reply: K): Promise<Frame<K>> {
    const f = await this.request(frame);
    if (f.type !== reply) throw new HubbubError(ClientErrorCode.Protocol, `the server answered ${frame.type} with ${f.type}, not ${reply}`);
    return f as Frame<K>;
  }

  /** A room name from the app, normalised (the server answers with the normalised name), or invalid_room. */
  protected roomName(raw: string): string {
    const room = normalizeRoom(raw);
    if (room === null) throw new HubbubError("invalid_room", ROOM_RULE);
    return room;
  }

  /** Runs `fn` once connected; if the connection drops under it, runs it again after the reconnect. */
  protected async whenConnected<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.finished) throw closedError();
      if (this.link.state.state !== "connected") await this.ready.promise;
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof HubbubError && err.code === ClientErrorCode.ConnectionLost)) throw err;
      }
    }
  }
}
