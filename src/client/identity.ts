// Who the client is, as the server last said: the user id (stable across reconnects and shared by
// the user's tabs), this connection's id, the server's limits, and the name and resume token,
// which the next handshake asks for again. The only owner of those; it reports a new name or
// resume token (the client's `name` and `resume` events).
import type { Limits } from "../shared/protocol.ts";
import type { Frame } from "./events.ts";

export interface IdentityEvents {
  name(name: string): void;
  resume(token: string): void;
}

export class Identity {
  private id_: string | null = null;
  private conn_: string | null = null;
  private limits_: Limits | null = null;

  constructor(
    private name_: string | null,
    private resume_: string | null,
    private readonly events: IdentityEvents,
  ) {}

  get id(): string | null {
    return this.id_;
  }
  get conn(): string | null {
    return this.conn_;
  }
  get limits(): Limits | null {
    return this.limits_;
  }
  get name(): string | null {
    return this.name_;
  }
  get resume(): string | null {
    return this.resume_;
  }

  /** A connection's welcome: who it is and what it may do. */
  welcome(f: Frame<"welcome">): void {
    this.conn_ = f.conn;
    this.id_ = f.id;
    this.limits_ = f.limits;
    this.apply(f);
  }

  /** The user's id, name or resume token changed (a rename in any tab, or a welcome). */
  apply(f: Pick<Frame<"identity">, "id" | "name" | "resume">): void {
    this.id_ = f.id;
    this.rename(f.name);
    if (f.resume !== undefined && f.resume !== this.resume_) {
      this.resume_ = f.resume;
      this.events.resume(f.resume);
    }
  }

  rename(name: string): void {
    if (name === this.name_) return;
    this.name_ = name;
    this.events.name(name);
  }

  /** The name stays taken: the next handshake asks for none (not reported; the welcome will name the user). */
  forgetName(): void {
    this.name_ = null;
  }
}
