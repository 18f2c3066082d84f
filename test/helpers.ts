// Test helpers: a real server on an ephemeral port, real WebSocket clients, raw TCP peers.
// Waits are on events ("arm the wait, then act"), never on sleeps.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfig, type Config } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import type { ServerFrame } from "../src/shared/protocol.ts";
import { createServer, type App, type AppDeps } from "../src/server.ts";

export const WAIT_MS = 3000;

/** Starts a server on 127.0.0.1:0 with default settings plus `overrides`; dispose stops it. */
export function startServer(overrides: Partial<Config> = {}, deps: AppDeps = {}): Promise<App> {
  return createServer(defaultConfig({ port: 0, host: "127.0.0.1", shutdownTimeoutMs: 2000, dataDir: "", ...overrides }), { log: silentLogger, ...deps });
}

/**
 * A server on one store, for suites that run on both (presence frames coalesced briefly): with
 * `sqlite` in a fresh DATA_DIR that disposing removes, or in `dir` (to restart on it; the caller
 * keeps it then).
 */
export async function startStoreServer(store: "memory" | "sqlite", overrides: Partial<Config> = {}, dir?: { path: string }): Promise<App> {
  const own = dir ? null : tempDir();
  const app = await startServer({ store, dataDir: store === "sqlite" ? (dir ?? own!).path : "", presenceIntervalMs: 5, ...overrides });
  return Object.assign(app, {
    async [Symbol.asyncDispose]() {
      await app.shutdown();
      own?.[Symbol.dispose]();
    },
  });
}

export { eventually, memoryLogger, until } from "./support.ts";

/** A fresh directory under the system's temp dir (a DATA_DIR for STORE=sqlite); disposing removes it. */
export function tempDir(): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), "hubbub-test-"));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

type Match<T extends ServerFrame["type"]> = T | ((f: ServerFrame) => boolean);
type FrameOf<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;

export interface Joined {
  id: string;
  conn: string;
  name: string;
  resume: string | undefined;
  epoch: string;
}

export interface CloseEvent {
  code: number;
  reason: string;
}

/** A protocol client over Bun's WebSocket, with a queue of received frames. */
export class TestClient {
  /** Frames received and not yet taken by next(). */
  readonly queue: ServerFrame[] = [];
  /** Every frame ever received, in order. */
  readonly log: ServerFrame[] = [];
  readonly closed: Promise<CloseEvent>;
  private waiters: (() => void)[] = [];
  private isClosed = false;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.addEventListener("message", (e) => {
      const f = JSON.parse(String(e.data)) as ServerFrame;
      this.queue.push(f);
      this.log.push(f);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", (e) => {
        this.isClosed = true;
        this.wake();
        resolve({ code: e.code, reason: e.reason });
      }),
    );
  }

  /** Connects to the app's /ws with query `params`; resolves once open (not once welcomed). */
  static async connect(app: App | string, params: Record<string, string> = {}, headers?: Record<string, string>): Promise<TestClient> {
    const base = typeof app === "string" ? app : app.wsUrl;
    const url = new URL(base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const c = new TestClient(new WebSocket(url.toString(), headers ? ({ headers } as unknown as string[]) : undefined));
    await new Promise<void>((resolve, reject) => {
      c.ws.addEventListener("open", () => resolve(), { once: true });
      c.ws.addEventListener("error", () => reject(new Error(`could not connect to ${url}`)), { once: true });
    });
    return c;
  }

  /**
   * Connects and consumes `welcome` and the initial `users` frame: `id` is the user id, `conn`
   * the connection's, `resume` a guest's resume token, `epoch` the initial room's.
   */
  static async join(app: App | string, params: Record<string, string> = {}): Promise<TestClient & Joined> {
    const c = await TestClient.connect(app, params);
    const w = await c.next("welcome");
    const u = await c.next("users");
    return Object.assign(c, { id: w.id, conn: w.conn, name: w.name, resume: w.resume, epoch: u.epoch });
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Takes the first queued frame that matches (waiting for one); frames before it stay queued. */
  async next<T extends ServerFrame["type"]>(match: T, timeoutMs?: number): Promise<FrameOf<T>>;
  async next(match: (f: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  async next<T extends ServerFrame["type"]>(match: Match<T>, timeoutMs = WAIT_MS): Promise<ServerFrame> {
    const pred = typeof match === "function" ? match : (f: ServerFrame) => f.type === match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex(pred);
      if (i >= 0) return this.queue.splice(i, 1)[0]!;
      if (this.isClosed) throw new Error(`closed while waiting for ${describe(match)}; queue: ${JSON.stringify(this.queue).slice(0, 500)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${describe(match)}; queue: ${JSON.stringify(this.queue).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until `n` frames of `type` have arrived in all (taken or not). */
  async count<T extends ServerFrame["type"]>(type: T, n: number, timeoutMs = WAIT_MS): Promise<FrameOf<T>[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.all(type);
      if (got.length >= n) return got;
      if (this.isClosed) throw new Error(`closed with ${got.length}/${n} ${type} frames`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${got.length}/${n} ${type} frames`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for an `error` frame with `code`. */
  error(code: string): Promise<ServerFrame> {
    return this.next((f) => f.type === "error" && f.code === code);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Sends `frame` with a fresh ref and resolves with the one reply that carries it. */
  async request(frame: Record<string, unknown>): Promise<ServerFrame> {
    const ref = `q${Math.random().toString(36).slice(2)}`;
    this.send({ ...frame, ref });
    return this.next((f) => (f as { ref?: unknown }).ref === ref);
  }

  /** Sends a chat with a ref and resolves with its ack. */
  async chat(text: string, room?: string): Promise<FrameOf<"ack">> {
    const ref = `r${Math.random().toString(36).slice(2)}`;
    this.send({ type: "chat", text, room, ref });
    return (await this.next((f) => f.type === "ack" && f.ref === ref)) as FrameOf<"ack">;
  }

  /** Sends `ping` and waits for its `pong`: everything this client sent earlier has been handled. */
  async sync(): Promise<void> {
    const ref = `s${Math.random().toString(36).slice(2)}`;
    this.send({ type: "ping", ref });
    await this.next((f) => f.type === "pong" && f.ref === ref);
  }

  /** Every frame of one type received so far (taken off the queue or not). */
  all<T extends ServerFrame["type"]>(type: T): FrameOf<T>[] {
    return this.log.filter((f) => f.type === type) as FrameOf<T>[];
  }

  async close(): Promise<void> {
    if (!this.isClosed) this.ws.close(1000);
    await this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A client's user list for `room` as a client must keep it: its latest `users` snapshot, then
 * every `presence` frame after it (leaves before joins). Id → name.
 */
export function userView(c: TestClient, room: string): Map<string, string> {
  const list = new Map<string, string>();
  for (const f of c.log) {
    if (f.type === "users" && f.room === room) {
      list.clear();
      for (const u of f.users) list.set(u.id, u.name);
    } else if (f.type === "presence" && f.room === room) {
      for (const m of f.leaves) list.delete(m.id);
      for (const m of f.joins) list.set(m.id, m.name);
    }
  }
  return list;
}

function describe(m: unknown): string {
  return typeof m === "string" ? m : "a matching frame";
}

// ---- raw TCP peers --------------------------------------------------------------------------

export interface RawResponse {
  status: number;
  head: string;
  socket: net.Socket;
  /** Bytes that arrived after the HTTP head (WebSocket frames). */
  rest: Buffer;
}

/** Sends a hand-written HTTP request and reads the response head. */
export async function rawRequest(port: number, path: string, headers: Record<string, string>): Promise<RawResponse> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      const head = buf.subarray(0, end).toString();
      resolve({ status: Number(head.split(" ")[1]), head, socket, rest: buf.subarray(end + 4) });
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("close", () => reject(new Error(`closed before a response; got ${JSON.stringify(buf.toString())}`)));
  });
}

export const UPGRADE_HEADERS = {
  Upgrade: "websocket",
  Connection: "Upgrade",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
};

/** Completes a WebSocket upgrade on a raw socket (never sending a frame unless told to). */
export async function rawWebSocket(port: number, query = "", extra: Record<string, string> = {}): Promise<RawResponse> {
  const r = await rawRequest(port, `/ws${query}`, { ...UPGRADE_HEADERS, ...extra });
  if (r.status !== 101) throw new Error(`upgrade refused: ${r.head}`);
  return r;
}

/** Encodes one masked client frame (opcode 1 = text, 8 = close, …). */
export function clientFrame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const len = data.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len]) : len < 65536 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 255]) : (() => {
    const h = Buffer.alloc(10);
    h[0] = (fin ? 0x80 : 0) | opcode;
    h[1] = 0x80 | 127;
    h.writeBigUInt64BE(BigInt(len), 2);
    return h;
  })();
  const body = Buffer.from(data.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, Buffer.from(mask), body]);
}

export interface ParsedFrame {
  opcode: number;
  payload: Buffer;
}

/** Splits server→client (unmasked) frames out of a byte stream; returns whole frames only. */
export function parseServerFrames(buf: Buffer): ParsedFrame[] {
  const out: ParsedFrame[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    const opcode = buf[i]! & 0x0f;
    let len = buf[i + 1]! & 0x7f;
    let off = i + 2;
    if (len === 126) {
      if (off + 2 > buf.length) break;
      len = buf.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (off + 8 > buf.length) break;
      len = Number(buf.readBigUInt64BE(off));
      off += 8;
    }
    if (off + len > buf.length) break;
    out.push({ opcode, payload: buf.subarray(off, off + len) });
    i = off + len;
  }
  return out;
}

/** Resolves when `socket` has closed, with every byte it received after `rest`. */
export function readUntilClosed(r: RawResponse): Promise<Buffer> {
  const chunks: Buffer[] = [r.rest];
  return new Promise((resolve) => {
    r.socket.on("data", (d: Buffer) => chunks.push(d));
    r.socket.once("close", () => resolve(Buffer.concat(chunks)));
    r.socket.resume();
  });
}


/** The value of one sample line (`name{labels} value`) of Prometheus text, or undefined. */
export function metricSample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// ---- servers as child processes -------------------------------------------------------------
// Shared with the benchmark suite, which drives the same child servers.
export { spawnServer, type ChildServer } from "../bench/proc.ts";
