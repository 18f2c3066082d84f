// Awaitable: a value, or a promise of one. Engine methods answer with the value itself when it
// is at hand (the memory engine always does), and the Hub chains on results with andThen(), so
// with that engine a whole admission or chat message runs synchronously, inside Bun's handler
// and its cork: the 101 response, `welcome` and `users` leave in one write, and no promise is
// made per message. With the Redis engine the same code awaits.

export type Awaitable<T> = T | Promise<T>;

/** `next(value)` now when `value` is not a promise, else once it resolves. Sync throws propagate. */
export function andThen<T, R>(value: Awaitable<T>, next: (value: T) => Awaitable<R>): Awaitable<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
