// Requests the protocol answers without an ack (join, leave, history, /nick, /who, /help, and
// the handshake itself) are followed by a `ping` carrying a fresh ref. The server handles one
// connection's frames strictly in order, so every reply to the request, and any error it
// caused (most carry no ref), arrives before that `pong`. The pong is the barrier that ties
// replies and errors to their request, without changing the protocol.
import type { ServerFrame } from "../shared/protocol.ts";
import { deferred, type Deferred } from "./deferred.ts";
import { HubbubError } from "./errors.ts";

type ErrorFrame = Extract<ServerFrame, { type: "error" }>;

interface Pending {
  readonly ref: string;
  /** Which non-error frames are this request's replies. */
  readonly wants: (f: ServerFrame) => boolean;
  readonly frames: ServerFrame[];
  error: ErrorFrame | null;
  readonly done: Deferred<ServerFrame[]>;
}

export class Requests {
  /** Oldest first; pongs arrive in this order. */
  private pending: Pending[] = [];
  private counter = 0;

  /** Registers a request; send its frames, then `{type: "ping", ref}`. */
  open(wants: (f: ServerFrame) => boolean): { ref: string; done: Promise<ServerFrame[]> } {
    const p: Pending = { ref: `q${++this.counter}`, wants, frames: [], error: null, done: deferred() };
    this.pending.push(p);
    return { ref: p.ref, done: p.done.promise };
  }

  /**
   * Offers an inbound frame. Returns true when it was a barrier pong (an internal frame).
   * A ref-less error belongs to the oldest open request: earlier requests have had their pong.
   */
  offer(f: ServerFrame): boolean {
    if (f.type === "pong") {
      const i = this.pending.findIndex((p) => p.ref === f.ref);
      if (i < 0) return false;
      const [p] = this.pending.splice(i, 1);
      if (p!.error) p!.done.reject(new HubbubError(p!.error.code, p!.error.message));
      else p!.done.resolve(p!.frames);
      return true;
    }
    if (f.type === "error") {
      const p = f.ref === undefined ? this.pending[0] : this.pending.find((q) => q.ref === f.ref);
      if (p) p.error ??= f;
      return false;
    }
    this.pending.find((p) => p.wants(f))?.frames.push(f);
    return false;
  }

  /** Fails every open request (the connection is gone, or the client closed). */
  failAll(err: HubbubError): void {
    const all = this.pending;
    this.pending = [];
    for (const p of all) p.done.reject(err);
  }
}
