// Soak: a server in its own process under mixed load for a bounded time, then checks.
//
//   bun run soak                 60 s, 300 well-behaved clients
//   bun run soak --ci            15 s, 100 clients (what .ci/run runs)
//   bun run soak --report        also writes the results table into docs/reliability.md
//   (--duration S and --clients N override either)
//
// Well-behaved clients chat in a home room they never leave, churn through side rooms,
// rename, and reconnect (recovering with `since`). Misbehaving ones never read, flood, send
// garbage and RFC-breaking frames, vanish mid-stream, and hold half-sent upgrade requests.
// At the end: every well-behaved client saw every message of its home room exactly in order
// (gaps recovered), user lists agree with the server's, the server's memory came back near its
// start, no error escaped to the process, and the slowloris sockets were dropped.
// All traffic goes to 127.0.0.1 and every loop is bounded by the duration.
import net from "node:net";
import { parseArgs } from "node:util";
import type { Member, ServerFrame } from "../src/shared/protocol.ts";
import { clientFrame, rawWebSocket, spawnServer, type ChildServer } from "../test/helpers.ts";

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: { ci: { type: "boolean" }, report: { type: "boolean" }, duration: { type: "string" }, clients: { type: "string" } },
});
const DURATION_S = Number(flags.duration ?? (flags.ci ? 15 : 60));
const CLIENTS = Number(flags.clients ?? (flags.ci ? 100 : 300));
const ROOMS = Math.max(2, Math.ceil(CLIENTS / 25));
const SLOWLORIS = 50;
/**
 * How far above its start the server's JS heap may end, once every client has left, beyond
 * the history it keeps. Loose on purpose: the heap figure includes garbage the collector has
 * not yet reclaimed (nothing allocates on an idle server to trigger it). The exact leak checks
 * are the structural ones: no connection, no room left.
 */
const HEAP_SLACK_BYTES = 32 * 1024 * 1024;
/** The same for RSS (see the check for why it is looser). */
const RSS_SLACK_BYTES = 96 * 1024 * 1024;
/** Time for the last frames and presence diffs to land after the load stops. */
const SETTLE_MS = 1500;

const SERVER_ENV = {
  RATE_LIMIT: "20",
  JOIN_RATE_LIMIT: "10",
  SLOW_CONSUMER_BYTES: String(256 * 1024),
  // Enough for a reconnecting client to recover its gap; small enough that history (kept on
  // purpose, and allowed for in the memory check) does not hide a leak.
  HISTORY_SIZE: "500",
  IDLE_TIMEOUT_S: "10",
  PRESENCE_INTERVAL_MS: "50",
  MAX_CONNECTIONS: "5000",
  MAX_TEXT_LENGTH: "65536",
  LOG_LEVEL: "info",
};
/** Senders that keep the firehose room busy enough for never-reading sockets to be evicted. */
const FIREHOSE_SENDERS = 4;
const FIREHOSE_TEXT = "f".repeat(32 * 1024);

const rand = (n: number) => Math.floor(Math.random() * n);
const problems: string[] = [];
const fail = (what: string) => {
  if (problems.length < 50) problems.push(what);
};
const stats = { firehose: 0, messagesSent: 0, messagesDelivered: 0, reconnects: 0, renames: 0, sideJoins: 0, badInputs: 0, sloths: 0, floods: 0, vanished: 0, peakConnections: 0 };

// ---- a well-behaved client ------------------------------------------------------------------

class Chatter {
  private ws: WebSocket | null = null;
  private lastSeq = 0;
  private readonly pending = new Map<number, number>();
  private liveSeq = 0;
  /** The home room's epoch, from its `users` frames: a reconnect's `since` means something only with it. */
  private epoch: string | null = null;
  /** This client's view of its home room's user list (id → name). */
  readonly users = new Map<string, string>();
  private sideRoom: string | null = null;
  private stopped = false;
  private open: Promise<void> = Promise.resolve();
  name: string;

  constructor(readonly n: number, readonly home: string, private readonly url: string) {
    this.name = `user${n}`;
  }

  connect(since?: number): Promise<void> {
    const u = new URL(this.url);
    u.searchParams.set("name", this.name);
    u.searchParams.set("room", this.home);
    if (since !== undefined) u.searchParams.set("since", String(since));
    if (since !== undefined && this.epoch !== null) u.searchParams.set("epoch", this.epoch);
    const ws = new WebSocket(u);
    this.ws = ws;
    this.liveSeq = this.lastSeq;
    this.open = new Promise((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`${this.name}: could not connect`));
    });
    ws.onmessage = (e) => this.onFrame(JSON.parse(String(e.data)) as ServerFrame);
    ws.onclose = (e) => {
      if (this.ws !== ws || this.stopped) return;
      // Evicted or dropped: come back and recover what was missed.
      if (e.code !== 1000) void this.reconnect();
    };
    return this.open;
  }

  private onFrame(f: ServerFrame): void {
    switch (f.type) {
      case "users":
        if (f.room === this.home) {
          this.epoch = f.epoch;
          this.users.clear();
          for (const m of f.users) this.users.set(m.id, m.name);
          if (this.lastSeq === 0 && this.pending.size === 0) this.lastSeq = this.liveSeq = f.seq;
        }
        break;
      case "presence":
        if (f.room !== this.home) break;
        for (const m of f.leaves) this.users.delete(m.id);
        for (const m of f.joins) this.users.set(m.id, m.name);
        break;
      case "history": {
        if (f.room !== this.home) break;
        if (f.recovered === false) fail(`${this.name}: could not recover after seq ${this.lastSeq}`);
        for (const m of f.messages) this.accept(m.seq);
        // Replies are paged: ask for the rest of a long replay.
        const last = f.messages.at(-1);
        if (f.more && last) this.ws?.send(JSON.stringify({ type: "history", room: this.home, after: last.seq }));
        break;
      }
      case "message":
        if (f.room !== this.home) break;
        stats.messagesDelivered++;
        // Live frames on one connection must arrive in seq order.
        if (f.seq <= this.liveSeq && f.seq > this.lastSeq) fail(`${this.name}: live seq ${f.seq} after ${this.liveSeq}`);
        this.liveSeq = Math.max(this.liveSeq, f.seq);
        this.accept(f.seq);
        break;
      case "error":
        if (f.code !== "rate_limited" && f.code !== "name_taken") fail(`${this.name}: error ${f.code}: ${f.message}`);
        break;
    }
  }

  /** Counts `seq` once; a later seq waits in `pending` until the gap before it is filled. */
  private accept(seq: number): void {
    if (seq <= this.lastSeq) return;
    this.pending.set(seq, seq);
    while (this.pending.delete(this.lastSeq + 1)) this.lastSeq++;
  }

  async reconnect(): Promise<void> {
    if (this.stopped) return;
    stats.reconnects++;
    const old = this.ws;
    this.ws = null;
    old?.close(1000);
    this.sideRoom = null;
    await this.connect(this.lastSeq).catch((err) => fail(String(err)));
  }

  /** One step of ordinary behaviour, chosen at random. */
  async step(): Promise<void> {
    await this.open;
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const r = rand(100);
    if (r < 80) {
      ws.send(JSON.stringify({ type: "chat", text: `hello from ${this.name} ${Date.now()}`, room: this.home }));
      stats.messagesSent++;
    } else if (r < 90) {
      if (this.sideRoom) ws.send(JSON.stringify({ type: "leave", room: this.sideRoom }));
      this.sideRoom = this.sideRoom ? null : `side${rand(ROOMS)}`;
      if (this.sideRoom) ws.send(JSON.stringify({ type: "join", room: this.sideRoom }));
      stats.sideJoins++;
    } else if (r < 95) {
      this.name = `user${this.n}-${rand(1000)}`;
      ws.send(JSON.stringify({ type: "chat", text: `/nick ${this.name}` }));
      stats.renames++;
    } else {
      await this.reconnect();
    }
  }

  /** Resolves once the current connection is open. */
  ready(): Promise<void> {
    return this.open.catch(() => {});
  }

  get seq(): number {
    return this.lastSeq;
  }

  get gaps(): number {
    return this.pending.size;
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close(1000);
  }
}

// ---- misbehaving clients --------------------------------------------------------------------

async function sloth(srv: ChildServer): Promise<void> {
  const r = await rawWebSocket(srv.port, "?room=firehose");
  r.socket.pause();
  stats.sloths++;
  // Left paused: the server must evict it (4008) and cut it; we only clean up at the end.
  sockets.push(r.socket);
}

async function flooder(srv: ChildServer, room: string): Promise<void> {
  const ws = new WebSocket(`${srv.wsUrl}?room=${room}`);
  await new Promise((resolve) => (ws.onopen = resolve));
  stats.floods++;
  for (let i = 0; i < 300 && ws.readyState === WebSocket.OPEN; i++) ws.send(JSON.stringify({ type: "chat", text: `flood ${i}` }));
  await new Promise((resolve) => {
    ws.onclose = resolve;
    setTimeout(resolve, 3000);
  });
  ws.close();
}

const GARBAGE: (() => Buffer)[] = [
  () => clientFrame(1, "not json at all"),
  () => clientFrame(1, '{"type":"chat","text":'),
  () => clientFrame(1, Buffer.from([0x7b, 0xff, 0xfe])),
  () => clientFrame(3, "reserved opcode"),
  () => Buffer.concat([Buffer.from([0x81, 5]), Buffer.from("hello")]), // unmasked
  () => clientFrame(1, Buffer.from(crypto.getRandomValues(new Uint8Array(64)))),
  () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))),
  () => clientFrame(1, `{"type":"chat","text":"x","a":${"[".repeat(2000)}${"]".repeat(2000)}}`),
];

async function garbage(srv: ChildServer, room: string): Promise<void> {
  const r = await rawWebSocket(srv.port, `?room=${room}`);
  r.socket.on("error", () => {});
  r.socket.resume();
  for (let i = 0; i < 5; i++) {
    r.socket.write(GARBAGE[rand(GARBAGE.length)]!());
    stats.badInputs++;
  }
  setTimeout(() => r.socket.destroy(), 500);
}

async function vanish(srv: ChildServer, room: string): Promise<void> {
  const r = await rawWebSocket(srv.port, `?room=${room}`);
  r.socket.write(clientFrame(1, JSON.stringify({ type: "chat", text: "here and gone" })));
  r.socket.destroy();
  stats.vanished++;
}

const sockets: net.Socket[] = [];

async function slowloris(port: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from({ length: SLOWLORIS }, async () => {
      const s = net.connect(port, "127.0.0.1");
      s.on("error", () => {});
      await new Promise((resolve) => s.once("connect", resolve));
      s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n`);
      // Trickle a header now and then, as a slowloris does to defeat idle timers.
      const t = setInterval(() => s.writable && s.write("X-Slow: 1\r\n"), 2000);
      s.once("close", () => clearInterval(t));
      return s;
    }),
  );
}

// ---- the run ---------------------------------------------------------------------------------

async function metric(srv: ChildServer, series: string): Promise<number> {
  const text = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(series) && /^[^ ]+ /.test(line) && (line[series.length] === " " || line[series.length] === "{")) sum += Number(line.split(" ")[1]);
  return sum;
}

async function snapshot(srv: ChildServer, room: string): Promise<{ seq: number; users: Member[] }> {
  const ws = new WebSocket(`${srv.wsUrl}?room=${room}&name=checker${rand(1e6)}`);
  const frame = await new Promise<ServerFrame>((resolve) => (ws.onmessage = (e) => {
    const f = JSON.parse(String(e.data)) as ServerFrame;
    if (f.type === "users") resolve(f);
  }));
  ws.close(1000);
  if (frame.type !== "users") throw new Error("no users frame");
  return { seq: frame.seq, users: frame.users.filter((u) => !u.name.startsWith("checker")) };
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`soak: ${DURATION_S} s, ${CLIENTS} well-behaved clients in ${ROOMS} rooms`);
  await using srv = await spawnServer(SERVER_ENV);
  const mem = { before: await srv.rss(), peak: 0, after: 0 };
  const heap = { before: await metric(srv, "hubbub_process_heap_used_bytes"), peak: 0, after: 0 };
  mem.peak = mem.before;
  const loris = await slowloris(srv.port);

  const chatters = Array.from({ length: CLIENTS }, (_, i) => new Chatter(i, `home${i % ROOMS}`, srv.wsUrl));
  for (let i = 0; i < chatters.length; i += 50) await Promise.all(chatters.slice(i, i + 50).map((c) => c.connect()));

  const deadline = started + DURATION_S * 1000;
  const firehose = Array.from({ length: FIREHOSE_SENDERS }, async () => {
    const ws = new WebSocket(`${srv.wsUrl}?room=firehose`);
    await new Promise((resolve) => (ws.onopen = resolve));
    while (Date.now() < deadline) {
      ws.send(JSON.stringify({ type: "chat", text: FIREHOSE_TEXT }));
      stats.firehose++;
      await Bun.sleep(60);
    }
    ws.close(1000);
  });
  const loops = chatters.map(async (c) => {
    while (Date.now() < deadline) {
      await Bun.sleep(300 + rand(1200));
      await c.step().catch((err) => fail(`${c.name}: ${err}`));
    }
  });
  const chaos = (async () => {
    while (Date.now() < deadline) {
      await Bun.sleep(250);
      const room = `home${rand(ROOMS)}`;
      const pick = rand(4);
      await [sloth, flooder, garbage, vanish][pick]!(srv, room).catch(() => {});
      stats.peakConnections = Math.max(stats.peakConnections, await metric(srv, "hubbub_connections"));
      mem.peak = Math.max(mem.peak, await srv.rss());
      heap.peak = Math.max(heap.peak, await metric(srv, "hubbub_process_heap_used_bytes"));
    }
  })();
  await Promise.all([...loops, chaos, ...firehose]);

  // Settle: the last frames land, presence flushes, evicted clients finish recovering.
  await Bun.sleep(SETTLE_MS);
  await Promise.all(chatters.map((c) => c.ready()));
  await Bun.sleep(SETTLE_MS);

  // Checks: every message of the home room, in order; user lists that agree with the server.
  for (let r = 0; r < ROOMS; r++) {
    const room = `home${r}`;
    const snap = await snapshot(srv, room);
    const members = chatters.filter((c) => c.home === room);
    const serverView = new Set(snap.users.map((u) => `${u.id}:${u.name}`));
    for (const c of members) {
      if (c.seq !== snap.seq || c.gaps) fail(`${c.name} in ${room}: at seq ${c.seq} with ${c.gaps} pending, room is at ${snap.seq}`);
      const view = new Set([...c.users].filter(([, name]) => !name.startsWith("checker")).map(([id, name]) => `${id}:${name}`));
      const missing = [...serverView].filter((u) => !view.has(u));
      const extra = [...view].filter((u) => !serverView.has(u));
      if (missing.length || extra.length) fail(`${c.name} in ${room}: user list differs (missing ${missing.slice(0, 3)}, extra ${extra.slice(0, 3)})`);
    }
  }

  const evictions = { slow: await metric(srv, 'hubbub_evictions_total{reason="slow"}'), abuse: await metric(srv, 'hubbub_evictions_total{reason="abuse"}'), idle: await metric(srv, 'hubbub_evictions_total{reason="idle"}') };
  const connectionsTotal = await metric(srv, "hubbub_connections_total");
  const deliveries = await metric(srv, "hubbub_deliveries_total");

  // Everyone leaves; the server's memory must come back near where it started.
  for (const c of chatters) c.stop();
  for (const s of sockets) s.destroy();
  const lorisOpen = loris.filter((s) => !s.destroyed && !s.closed).length;
  for (const s of loris) s.destroy();
  const leftAt = Date.now();
  while ((await metric(srv, "hubbub_connections")) > 0 && Date.now() - leftAt < 10_000) await Bun.sleep(100);
  if ((await metric(srv, "hubbub_connections")) > 0) fail("connections still open 10 s after every client left");
  const roomsLeft = await metric(srv, "hubbub_rooms");
  if (roomsLeft > 0) fail(`${roomsLeft} rooms still indexed after every client left`);
  await Bun.sleep(2000);
  mem.after = await srv.rss();
  heap.after = await metric(srv, "hubbub_process_heap_used_bytes");
  // The JS heap is what a leak would grow; RSS is reported too, but the allocator keeps freed
  // pages for reuse, so RSS only has to stay within a generous bound of its start.
  // Room history is kept on purpose (HISTORY_SIZE per room), so it is allowed for.
  const history = Number(SERVER_ENV.HISTORY_SIZE);
  const kept = Math.min(stats.firehose, history) * (FIREHOSE_TEXT.length + 200) + Math.min(stats.messagesSent, history * ROOMS) * 300;
  if (heap.after - heap.before > kept + HEAP_SLACK_BYTES) fail(`heap did not come back: ${mb(heap.before)} → peak ${mb(heap.peak)} → after ${mb(heap.after)}, history keeps about ${mb(kept)}`);
  if (mem.after - mem.before > kept + RSS_SLACK_BYTES) fail(`RSS did not come back: ${mb(mem.before)} → peak ${mb(mem.peak)} → after ${mb(mem.after)}`);
  if (DURATION_S >= 13 && lorisOpen > 0) fail(`${lorisOpen} of ${SLOWLORIS} half-sent upgrade requests still open after ${DURATION_S} s`);

  srv.proc.kill("SIGTERM");
  const code = await srv.exited;
  const stderr = (await new Response(srv.proc.stderr).text()).trim();
  if (code !== 0) fail(`server exited ${code}`);
  if (stderr) fail(`server wrote to stderr: ${stderr.slice(0, 300)}`);
  const errorLines = srv.lines.filter((l) => l.includes('"level":"error"'));
  if (errorLines.length) fail(`server logged ${errorLines.length} errors, first: ${errorLines[0]!.slice(0, 300)}`);

  const rows: [string, string][] = [
    ["duration", `${DURATION_S} s`],
    ["well-behaved clients (rooms)", `${CLIENTS} (${ROOMS} home rooms, ${ROOMS} side rooms)`],
    ["connections held (peak open)", String(stats.peakConnections)],
    ["connections opened in all", String(connectionsTotal)],
    ["chat messages sent / delivered to home rooms", `${stats.messagesSent} / ${stats.messagesDelivered}`],
    ["frames handed to sockets (server)", String(deliveries)],
    ["reconnects with recovery / renames / side-room joins+leaves", `${stats.reconnects} / ${stats.renames} / ${stats.sideJoins}`],
    ["bad inputs tried (garbage and RFC-breaking frames)", String(stats.badInputs)],
    ["never-reading sockets / floods / vanished peers / half-sent requests", `${stats.sloths} / ${stats.floods} / ${stats.vanished} / ${SLOWLORIS}`],
    ["evictions: slow / abuse / idle", `${evictions.slow} / ${evictions.abuse} / ${evictions.idle}`],
    ["server memory before / peak / after (RSS)", `${mb(mem.before)} / ${mb(mem.peak)} / ${mb(mem.after)}`],
    ["server JS heap before / peak / after (history kept on purpose)", `${mb(heap.before)} / ${mb(heap.peak)} / ${mb(heap.after)} (≈ ${mb(kept)})`],
    ["result", problems.length ? `FAILED (${problems.length} problems)` : "passed"],
  ];
  const table = ["| measure | value |", "| --- | --- |", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
  console.log(table);
  if (flags.report) await writeReport(table);
  if (problems.length) {
    console.error(`soak: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    process.exit(1);
  }
  console.log(`soak: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Replaces the table between the markers in docs/reliability.md. */
async function writeReport(table: string): Promise<void> {
  const path = `${import.meta.dir}/../docs/reliability.md`;
  const doc = await Bun.file(path).text();
  const begin = "<!-- soak:begin -->";
  const end = "<!-- soak:end -->";
  const stamp = `Last run: ${new Date().toISOString().slice(0, 10)}, \`bun run soak${flags.ci ? " --ci" : ""}\`, Bun ${Bun.version}.`;
  const next = doc.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${stamp}\n\n${table}\n${end}`);
  await Bun.write(path, next);
  console.log(`soak: wrote the table to docs/reliability.md`);
}

await main();
