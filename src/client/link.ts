// Link: the socket under a HubbubClient and its state machine — open, welcomed, dead or closed,
// and when to try again. It knows nothing of rooms or sends: it asks its host where to connect
// (handshake), hands every frame over (frame), and says when the socket is gone (lost) or the
// server refused for good (refused). The host says when a connection is usable (connected),
// which for a client is only after every room has resynced.
import { reconnectDelay, type BackoffOptions } from "../shared/backoff.ts";
import { CloseCode } from "../shared/codes.ts";
import { decodeServerFrame, splitFrames } from "../shared/decode.ts";
import { PROTOCOL_VERSION } from "../shared/limits.ts";
import type { ClientFrame, ServerFrame } from "../shared/protocol.ts";
import { ClientErrorCode, HubbubError } from "./errors.ts";
import type { ConnectionState } from "./events.ts";
import { Heartbeat } from "./heartbeat.ts";

export interface LinkOptions {
  reconnect: BackoffOptions;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  connectTimeoutMs: number;
  WebSocket: typeof WebSocket;
}

export interface LinkHost {
  /** Where and how the next attempt connects. */
  handshake(): { url: string; protocols: string[] };
  /** Every well-formed frame of the current socket, in order (a welcome after its checks). */
  frame(f: ServerFrame): void;
  /** The current socket is gone; `err` fails whatever waited on it. */
  lost(err: HubbubError): void;
  /** The server refused for good: nothing will reconnect. */
  refused(err: HubbubError): void;
  /** 4409 kept coming after having connected: the host should ask for another name. */
  nameTakenRepeatedly(): void;
  state(s: ConnectionState): void;
}

/**
 * Reconnects refused with 4409 (name taken) before giving up the name. A resumed user reclaims
 * its own name at once; this is for one whose identity could not be resumed (a server restarted
 * with a new guest secret) while a stale connection still holds the name until IDLE_TIMEOUT_S.
 */
const NAME_TAKEN_RETRIES = 8;
/** WebSocket readyState values (not read off the global, which a custom constructor may lack). */
const OPEN = 1;
const CLOSED = 3;
type Timer = ReturnType<typeof setTimeout>;

export class Link {
  private ws: WebSocket | null = null;
  private state_: ConnectionState = { state: "offline" };
  /** No socket should be open: before start(), after stop() or a final refusal. */
  private stopped = true;
  private attempt = 0;
  private nameTakenStrikes = 0;
  private everConnected = false;
  /** The floor the server asked for in its last `shutdown` frame, used once. */
  private retryAfterMs = 0;
  private heartbeat: Heartbeat | null = null;
  private timers = { connect: null as Timer | null, reconnect: null as Timer | null };
  private pingCounter = 0;

  constructor(
    private readonly opts: LinkOptions,
    private readonly host: LinkHost,
  ) {}

  get state(): ConnectionState {
    return this.state_;
  }

  /** True while a socket is open (welcomed or not). */
  get open(): boolean {
    return this.ws?.readyState === OPEN;
  }

  /** Starts connecting, unless already running. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Stops for good: the socket is closed (resolves once it is) and nothing reconnects. */
  stop(err: HubbubError): Promise<void> {
    this.stopped = true;
    const ws = this.ws;
    this.teardown(err);
    this.setState({ state: "offline" });
    if (!ws || ws.readyState === CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      ws.addEventListener("close", () => resolve(), { once: true });
      ws.close(CloseCode.Normal);
    });
  }

  /** While waiting to reconnect, tries now instead. */
  reconnectNow(): void {
    if (this.state_.state !== "reconnecting") return;
    if (this.timers.reconnect) clearTimeout(this.timers.reconnect);
    this.timers.reconnect = null;
    this.connect();
  }

  /** The host finished its resync: the connection is usable, and the backoff starts over. */
  connected(): void {
    this.attempt = 0;
    this.nameTakenStrikes = 0;
    this.everConnected = true;
    this.setState({ state: "connected" });
  }

  /** Writes a frame on the open socket; false when there is none. */
  send(frame: ClientFrame): boolean {
    if (!this.open) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }

  private connect(): void {
    this.setState({ state: "connecting", attempt: this.attempt });
    const { url, protocols } = this.host.handshake();
    const ws = new this.opts.WebSocket(url, protocols);
    this.ws = ws;
    this.timers.connect = setTimeout(() => this.abandon(ws, "connect timeout"), this.opts.connectTimeoutMs);
    ws.onmessage = (e) => this.ws === ws && this.receive(ws, e.data);
    ws.onclose = (e) => this.ws === ws && this.closed(e.code, e.reason);
  }

  /** One WebSocket message: one frame, or a batch of them (shared/decode.ts). */
  private receive(ws: WebSocket, data: unknown): void {
    for (const one of splitFrames(data)) if (this.ws === ws) this.receiveOne(ws, one);
  }

  private receiveOne(ws: WebSocket, data: unknown): void {
    const f = decodeServerFrame(data);
    if (!f) return console.warn("hubbub: ignored a malformed frame from the server");
    this.heartbeat?.touch();
    if (f.type === "welcome" && !this.welcomed(ws, f.protocol)) return;
    if (f.type === "shutdown") this.retryAfterMs = f.retryAfterMs;
    this.host.frame(f);
  }

  /** Takes a welcome; false (and a final refusal) when the server speaks another protocol version. */
  private welcomed(ws: WebSocket, protocol: number): boolean {
    if (this.timers.connect) clearTimeout(this.timers.connect);
    this.timers.connect = null;
    if (protocol !== PROTOCOL_VERSION) {
      this.refuse(new HubbubError(ClientErrorCode.Refused, `the server speaks protocol ${String(protocol)}, this client ${PROTOCOL_VERSION}`));
      ws.close(CloseCode.Normal);
      return false;
    }
    this.heartbeat = new Heartbeat({
      intervalMs: this.opts.pingIntervalMs,
      timeoutMs: this.opts.pongTimeoutMs,
      sendPing: () => ws.send(JSON.stringify({ type: "ping", ref: `h${++this.pingCounter}` } satisfies ClientFrame)),
      onDead: () => this.abandon(ws, "no answer to ping"),
    });
    return true;
  }

  /** Gives up on a socket that went silent (no welcome, or no answer to a ping). */
  private abandon(ws: WebSocket, why: string): void {
    if (this.ws !== ws) return;
    try {
      ws.close();
    } catch {
      // Already closing.
    }
    this.closed(1006, why);
  }

  private closed(code: number, reason: string): void {
    this.teardown(new HubbubError(ClientErrorCode.ConnectionLost, `connection closed (${code}${reason ? ` ${reason}` : ""})`));
    if (this.stopped) return;
    // 4403: the application's backend removed this user; coming back by itself would undo that.
    if (code === CloseCode.BadHandshake || code === CloseCode.Unauthorized || code === CloseCode.Disconnected || (code === CloseCode.NameTaken && !this.everConnected)) {
      return this.refuse(new HubbubError(ClientErrorCode.Refused, `the server refused the connection (${code} ${reason})`));
    }
    // 4409 after having connected: a stale connection may still hold the name until the
    // server notices it is gone, so retry, and in the end come back as a guest.
    this.nameTakenStrikes = code === CloseCode.NameTaken ? this.nameTakenStrikes + 1 : 0;
    if (this.nameTakenStrikes > NAME_TAKEN_RETRIES) this.host.nameTakenRepeatedly();
    // 1008 (abuse): come back slowly.
    if (code === CloseCode.Abuse) this.attempt = Math.max(this.attempt, 5);
    const delay = reconnectDelay(this.attempt, this.opts.reconnect, this.retryAfterMs);
    this.retryAfterMs = 0;
    this.attempt++;
    this.timers.reconnect = setTimeout(() => this.connect(), delay);
    this.setState({ state: "reconnecting", attempt: this.attempt, retryInMs: delay, retryAt: Date.now() + delay, close: { code, reason } });
  }

  /** Stops for good after a refusal; the host fails everything pending. */
  private refuse(err: HubbubError): void {
    this.stopped = true;
    if (this.ws) this.teardown(err);
    this.setState({ state: "offline", error: err });
    this.host.refused(err);
  }

  /** Forgets the current socket and everything tied to it. */
  private teardown(err: HubbubError): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onmessage = null;
      ws.onclose = null;
    }
    for (const t of Object.values(this.timers)) if (t) clearTimeout(t);
    this.timers = { connect: null, reconnect: null };
    this.heartbeat?.stop();
    this.heartbeat = null;
    this.host.lost(err);
  }

  private setState(s: ConnectionState): void {
    this.state_ = s;
    this.host.state(s);
  }
}
