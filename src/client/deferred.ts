// A promise with its settle functions outside, for results that arrive as later frames.

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
  /** True once resolve or reject was called. */
  readonly settled: boolean;
}

/**
 * Makes a Deferred. Its promise already has a no-op rejection handler, so a rejection nobody
 * awaited (e.g. `ready` failing while no one waits on it) is not reported as unhandled;
 * callers that await it still see the rejection.
 */
export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  let settled = false;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return {
    promise,
    get settled() {
      return settled;
    },
    resolve(v) {
      settled = true;
      resolve(v);
    },
    reject(e) {
      settled = true;
      reject(e);
    },
  };
}
