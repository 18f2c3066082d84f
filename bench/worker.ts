// One load-generator process: opens its share of the clients with Bun's WebSocket client,
// sends stamped chat texts on an open-loop schedule, and records the latency of every
// delivery. It answers the orchestrator (loadgen.ts) over IPC; see ipc.ts for the messages.
//
// The receive path runs once per delivery, hundreds of thousands of times a second, so it is
// kept lean: a string scan for the stamp (wire.ts), one clock read, one histogram increment.
// Only the presence storm parses JSON, and only `users` and `presence` frames.
import { Histogram } from "./histogram.ts";
import type { ClientSpec, CollectReply, ConnectReply, PresenceReply, Reply, Request, RequestOf, SendReply } from "./ipc.ts";
import { clockUs, eachFrame, isErrorFrame, isJoinedFrame, isPresenceFrame, readStamp, stamp, stampedChat } from "./wire.ts";

interface Client {
  readonly ws: WebSocket;
  /** When its handshake began (clockUs). */
  readonly openedUs: number;
  /** Where its deliveries' latency goes: the histogram of the node it is connected to. */
  readonly latency: Histogram;
  ready: boolean;
  /** The user list as this client sees it (presence storm only). */
  view: MemberView | null;
}

/** A client's user list: interned member ids in a bitmap, and its size; a large room's count. */
interface MemberView {
  seen: Uint8Array;
  size: number;
  count: number;
  /** The room is large as this client last heard (its answer or a presence frame said so). */
  large: boolean;
}

const clients: Client[] = [];
let step = -1;
let delivered = 0;
let stale = 0;
let bytes = 0;
let frames = 0;
let errors = 0;
let firstError = "";
let closes: Record<string, number> = {};
/** Delivery latency by the node the receiving client is on (index into the connect request's urls). */
const latencyByNode: Histogram[] = [];
let onReady: ((c: Client) => void) | null = null;
let onFailed: (() => void) | null = null;

// ---- presence tracking (presence storm) ----------------------------------------------------

let trackMembers = 0;
const memberIndex = new Map<string, number>();
const presence: PresenceReply = { frames: 0, bytes: 0, snapshotBytes: 0, largeJoins: 0, largeSnapshotBytes: 0, largePresenceBytes: 0, complete: 0, lastCompleteUs: 0 };

function indexOf(id: string): number {
  let i = memberIndex.get(id);
  if (i === undefined) memberIndex.set(id, (i = memberIndex.size));
  return i;
}

function applyMembers(v: MemberView, members: { id: string }[], present: boolean): void {
  for (const m of members) {
    const i = indexOf(m.id);
    if (i >= v.seen.length) {
      const grown = new Uint8Array(Math.max(i + 1, v.seen.length * 2));
      grown.set(v.seen);
      v.seen = grown;
    }
    const was = v.seen[i] === 1;
    if (was === present) continue;
    v.seen[i] = present ? 1 : 0;
    v.size += present ? 1 : -1;
  }
}

/** Applies a `users` or `presence` frame (leaves before joins, as clients must). */
function track(c: Client, frame: string): void {
  const v = c.view!;
  const complete = () => v.size >= trackMembers || v.count >= trackMembers;
  const wasComplete = complete();
  if (isJoinedFrame(frame)) {
    presence.snapshotBytes += frame.length;
    const f = JSON.parse(frame) as { room: string; users: { id: string }[]; next?: string; count: number; large?: boolean };
    applyMembers(v, f.users, true);
    // A large room's answer is a first page and the count; a small room's list is read on, as a client must, while it says `next`.
    v.large = f.large === true;
    if (v.large) {
      v.count = f.count;
      presence.largeJoins++;
      presence.largeSnapshotBytes += frame.length;
    }
    else if (f.next !== undefined) c.ws.send(JSON.stringify({ type: "who", room: f.room, after: f.next }));
  } else {
    presence.frames++;
    presence.bytes += frame.length;
    const f = JSON.parse(frame) as { joins: { id: string }[]; leaves: { id: string }[]; count?: number; large?: boolean };
    if (f.large !== undefined) v.large = f.large;
    if (v.large) presence.largePresenceBytes += frame.length;
    if (f.large === true && f.count !== undefined) v.count = f.count;
    applyMembers(v, f.leaves, false);
    applyMembers(v, f.joins, true);
  }
  if (!wasComplete && complete()) {
    presence.complete++;
    presence.lastCompleteUs = clockUs();
  }
}

// ---- receiving -----------------------------------------------------------------------------

function onFrame(c: Client, frame: string): void {
  frames++;
  bytes += frame.length;
  if (readStamp(frame)) {
    if (stamp.step !== step) {
      stale++;
      return;
    }
    delivered++;
    c.latency.record(clockUs() - stamp.sentUs);
    return;
  }
  if (c.view && (isPresenceFrame(frame) || isJoinedFrame(frame))) track(c, frame);
  if (!c.ready && isJoinedFrame(frame)) {
    c.ready = true;
    onReady?.(c);
  } else if (isErrorFrame(frame)) {
    errors++;
    firstError ||= frame.slice(0, 200);
  }
}

// ---- requests ------------------------------------------------------------------------------

function connect(req: RequestOf<"connect">): Promise<ConnectReply> {
  trackMembers = req.trackMembers;
  while (latencyByNode.length < req.urls.length) latencyByNode.push(new Histogram());
  const hist = new Histogram();
  const startedUs = clockUs();
  let lastReadyUs = startedUs;
  let next = 0;
  let inFlight = 0;
  let ready = 0;
  let failed = 0;
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      onReady = onFailed = null;
      resolve({ ready, failed: req.clients.length - ready, connectCounts: hist.counts, connectMax: hist.max, startedUs, lastReadyUs });
    };
    const finishIfDone = () => (ready + failed < req.clients.length ? launch() : finish());
    const timer = setTimeout(finish, req.timeoutMs);
    const launch = () => {
      while (inFlight < req.concurrency && next < req.clients.length) open(req.clients[next++]!, clockUs());
    };
    onReady = (c) => {
      inFlight--;
      ready++;
      lastReadyUs = clockUs();
      hist.record(lastReadyUs - c.openedUs);
      finishIfDone();
    };
    onFailed = () => {
      inFlight--;
      failed++;
      finishIfDone();
    };
    const open = (spec: ClientSpec, openedUs: number) => {
      inFlight++;
      const node = spec.node ?? 0;
      const batch = req.batch ? "&batch=1" : "";
      const ws = new WebSocket(`${req.urls[node]}?room=${encodeURIComponent(spec.room)}&name=${encodeURIComponent(spec.name)}${batch}`);
      const view = trackMembers ? { seen: new Uint8Array(trackMembers), size: 0, count: 0, large: false } : null;
      const c: Client = { ws, ready: false, view, openedUs, latency: latencyByNode[node]! };
      clients.push(c);
      ws.onmessage = req.batch ? (ev) => eachFrame(ev.data as string, (f) => onFrame(c, f)) : (ev) => onFrame(c, ev.data as string);
      ws.onclose = (ev) => {
        if (!c.ready) return onFailed?.();
        closes[ev.code] = (closes[ev.code] ?? 0) + 1;
      };
    };
    if (req.clients.length === 0) finishIfDone();
    else launch();
  });
}

function send(req: RequestOf<"send">): Promise<SendReply> {
  step = req.step;
  delivered = stale = bytes = frames = errors = 0;
  firstError = "";
  closes = {};
  for (const h of latencyByNode) h.reset();
  const padding = "x".repeat(req.padding);
  const sent = req.senders.map(() => 0);
  if (req.senders.length === 0) return Promise.resolve({ sent, maxLagMs: 0 });
  const ratePerMs = (req.ratePerSender * req.senders.length) / 1000;
  const started = performance.now();
  let total = 0;
  let turn = 0;
  let maxLagMs = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = Math.min(performance.now() - started, req.durationMs);
      const due = Math.floor(elapsed * ratePerMs) - total;
      // How long the oldest due message has waited past its planned time.
      if (due > 0) maxLagMs = Math.max(maxLagMs, elapsed - total / ratePerMs);
      for (let k = 0; k < due; k++) {
        const c = clients[req.senders[turn]!]!;
        if (c.ws.readyState === WebSocket.OPEN) {
          c.ws.send(stampedChat(step, clockUs(), padding));
          sent[turn]!++;
        }
        total++;
        turn = turn + 1 === req.senders.length ? 0 : turn + 1;
      }
      if (elapsed >= req.durationMs) {
        clearInterval(timer);
        resolve({ sent, maxLagMs });
      }
    }, 1);
  });
}

function collect(): CollectReply {
  return {
    delivered, stale, bytes, frames, errors, firstError, closes,
    latencyByNode: latencyByNode.map((h) => ({ counts: h.counts.slice(), max: h.max })),
    presence: { ...presence },
  };
}

async function handle(req: Request): Promise<Reply<Request["op"]>> {
  switch (req.op) {
    case "connect":
      return connect(req);
    case "send":
      return send(req);
    case "stats":
      return { delivered, complete: presence.complete };
    case "collect":
      return collect();
    case "close":
      for (const c of clients) c.ws.close(1000);
      return null;
  }
}

process.on("message", (msg: { id: number; req: Request }) => {
  void handle(msg.req).then((reply) => process.send!({ id: msg.id, reply }));
});
process.on("disconnect", () => process.exit(0));
