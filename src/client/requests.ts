// Requests and their replies, tied by `ref`. Protocol v2 answers every client frame that
// carries a ref with exactly one frame carrying the same ref: the reply, or an `error`. So a
// request is a fresh ref, the frame sent with it, and a promise settled by that one frame, or
// rejected when the connection is lost first (failAll).
import type { ServerFrame } from "../shared/protocol.ts";
import { deferred, type Deferred } from "./deferred.ts";
import { HubbubError } from "./errors.ts";

/** The ref a server frame carries, if any (numbers are never ours: the SDK's refs are strings). */
export function refOf(f: ServerFrame): string | undefined {
  const ref = (f as { ref?: unknown }).ref;
  return typeof ref === "string" ? ref : undefined;
}

export interface Requests {
  /** Registers a request: send its frame with `ref`; `done` settles on the reply. */
  open(): { ref: string; done: Promise<ServerFrame> };
  /** Offers an inbound frame; true when it was the reply to an open request (now settled). */
  offer(f: ServerFrame): boolean;
  readonly size: number;
  /** Fails every open request (the connection is gone, or the client closed). */
  failAll(err: HubbubError): void;
}

/** `prefix` keeps these refs apart from the other ref spaces of the client (outbox, heartbeat). A closure, like Link. */
export function createRequests(prefix = "q"): Requests {
  const pending = new Map<string, Deferred<ServerFrame>>();
  let counter = 0;
  return {
    open() {
      const ref = `${prefix}${++counter}`;
      const d = deferred<ServerFrame>();
      pending.set(ref, d);
      return { ref, done: d.promise };
    },
    offer(f) {
      const ref = refOf(f);
      const d = ref === undefined ? undefined : pending.get(ref);
      if (!d) return false;
      pending.delete(ref!);
      if (f.type === "error") d.reject(new HubbubError(f.code, f.message));
      else d.resolve(f);
      return true;
    },
    get size() {
      return pending.size;
    },
    failAll(err) {
      const all = [...pending.values()];
      pending.clear();
      for (const d of all) d.reject(err);
    },
  };
}
