// What the load generator puts on the wire and how it finds it again. Both servers carry a
// chat text verbatim inside a JSON `"text":"…"` field (Hubbub in its `message` frame, the
// baseline by echoing the client's own `chat` frame), so one cheap scan finds the stamp in
// either: no JSON.parse per delivery.
//
// A benchmark text is `~<step>:<sent µs>~<padding>`: the step tells a late delivery of an
// earlier step apart, and the send time is absolute (µs since the epoch), so a sender and a
// receiver in different worker processes compare clocks directly.

/** Every stamped text starts right after this. */
export const STAMP_MARK = '"text":"~';

/** Wall-clock time in integer microseconds, comparable between processes on this machine. */
export function clockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** A `chat` frame carrying a stamped text, `padding` characters longer than the stamp. */
export function stampedChat(step: number, sentUs: number, padding: string): string {
  return `{"type":"chat","text":"~${step}:${sentUs}~${padding}"}`;
}

/** Where `readStamp` puts its result (one shared object: no allocation per delivery). */
export const stamp = { step: 0, sentUs: 0 };

/** Reads the stamp of a delivered frame into `stamp`; false when the frame carries none. */
export function readStamp(frame: string): boolean {
  const at = frame.indexOf(STAMP_MARK);
  if (at < 0) return false;
  let i = at + STAMP_MARK.length;
  let step = 0;
  let c = frame.charCodeAt(i++);
  if (c < 48 || c > 57) return false;
  for (; c >= 48 && c <= 57; c = frame.charCodeAt(i++)) step = step * 10 + c - 48;
  if (c !== 58) return false; // ':'
  let sentUs = 0;
  for (c = frame.charCodeAt(i++); c >= 48 && c <= 57; c = frame.charCodeAt(i++)) sentUs = sentUs * 10 + c - 48;
  if (c !== 126) return false; // '~'
  stamp.step = step;
  stamp.sentUs = sentUs;
  return true;
}

/**
 * The frames of one WebSocket message: a batch client's may hold several, one per line (JSON never
 * holds a raw newline). A single frame is passed through without a copy.
 */
export function eachFrame(data: string, fn: (frame: string) => void): void {
  if (data.indexOf("\n") < 0) return fn(data);
  for (const line of data.split("\n")) fn(line);
}

/** True for the frame that says a client has joined its room (`users`, from either server). */
export const isJoinedFrame = (frame: string): boolean => frame.startsWith('{"type":"users"');
export const isPresenceFrame = (frame: string): boolean => frame.startsWith('{"type":"presence"');
export const isErrorFrame = (frame: string): boolean => frame.startsWith('{"type":"error"');
