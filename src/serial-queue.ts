// SerialQueue: one connection's work, one task at a time, in arrival order, even when a task
// awaits (the Redis engine). As with a Phoenix channel process or centrifuge's per-client
// command loop, a connection's frames are answered in the order they came. When nothing runs
// (nearly always) a task starts here and now, inside Bun's message handler and its cork, with no
// promise of its own. Bounded: past `maxWaiting` queued tasks, push() refuses (the caller tells
// the client and counts a strike), so a client cannot pile up work the server holds for it.
//
// A base class rather than a member: Session extends it, so a connection's queue costs two
// fields of the Session and no object or closure of its own (idle memory per connection is a
// benchmark target, docs/benchmarks.md).
import type { Ref } from "./shared/protocol.ts";

/** One piece of a connection's work (handling a frame, admit, disconnect). */
export type Task = () => Promise<void> | void;

export abstract class SerialQueue {
  private busy = false;
  /** Tasks waiting for the running one, oldest first; null when none wait (the usual case). */
  private waiting: { task: Task; ref: Ref | undefined }[] | null = null;

  /** How many tasks may wait behind the running one. */
  protected abstract get maxWaiting(): number;
  /** A task threw or rejected, with the `ref` of the frame it was handling; the queue goes on. */
  protected abstract taskFailed(err: unknown, ref: Ref | undefined): void;

  /** Number of tasks waiting behind the running one. */
  get depth(): number {
    return this.waiting?.length ?? 0;
  }

  /**
   * Runs `task` after every earlier one. False (and nothing queued) when `maxWaiting` tasks
   * already wait; `force` queues anyway (the disconnect, which must always run).
   */
  push(task: Task, ref?: Ref, force = false): boolean {
    if (this.busy) {
      if (!force && this.depth >= this.maxWaiting) return false;
      (this.waiting ??= []).push({ task, ref });
      return true;
    }
    this.busy = true;
    this.runFrom(task, ref);
    return true;
  }

  /** Runs `task`, then each waiting task; a task that returns a promise resumes the rest when it settles. */
  private runFrom(first: Task, firstRef: Ref | undefined): void {
    let task: Task | undefined = first;
    let ref = firstRef;
    while (task) {
      let result: Promise<void> | void = undefined;
      try {
        result = task();
      } catch (err) {
        this.report(err, ref);
      }
      if (result instanceof Promise) {
        const failedRef = ref;
        result.then(
          () => this.runNext(),
          (err: unknown) => {
            this.report(err, failedRef);
            this.runNext();
          },
        );
        return;
      }
      const next = this.waiting?.shift();
      task = next?.task;
      ref = next?.ref;
    }
    this.waiting = null;
    this.busy = false;
  }

  private report(err: unknown, ref: Ref | undefined): void {
    try {
      this.taskFailed(err, ref);
    } catch (handlerErr) {
      console.error("serial queue error handler failed", handlerErr);
    }
  }

  private runNext(): void {
    const next = this.waiting?.shift();
    if (next) return this.runFrom(next.task, next.ref);
    this.waiting = null;
    this.busy = false;
  }
}
