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
import { startHeartbeat, type Heartbeat } from "./heartbeat.ts";

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

export interface Link {
  readonly state: ConnectionState;
  /** True while a socket is open (welcomed or not). */
  readonly open: boolean;
  /** Starts connecting, unless already running. */
  start(): void;
  /** Stops for good: the socket is closed (resolves once it is) and nothing reconnects. */
  stop(err: HubbubError): Promise<void>;
  /** While waiting to reconnect, tries now instead. */
  reconnectNow(): void;
  /** The host finished its resync: the connection is usable, and the backoff starts over. */
  connected(): void;
  /** Writes a frame on the open socket; false when there is none. */
  send(frame: ClientFrame): boolean;
}

/** One client's link; its state lives in this closure (the client holds one for its life). */
export function createLink(opts: LinkOptions, host: LinkHost): Link {
  let ws: WebSocket | null = null;
  let state: ConnectionState = { state: "offline" };
  /** No socket should be open: before start(), after stop() or a final refusal. */
  let stopped = true;
  let attempt = 0;
  let nameTakenStrikes = 0;
  let everConnected = false;
  /** The floor the server asked for in its last `shutdown` frame, used once. */
  let retryAfterMs = 0;
  let heartbeat: Heartbeat | null = null;
  let connectTimer: Timer | undefined;
  let reconnectTimer: Timer | undefined;
  let pingCounter = 0;

  const setState = (s: ConnectionState) => {
    state = s;
    host.state(s);
  };

  /** Forgets the current socket and everything tied to it. */
  const teardown = (err: HubbubError) => {
    if (ws) {
      ws.onmessage = null;
      ws.onclose = null;
    }
    ws = null;
    clearTimeout(connectTimer);
    clearTimeout(reconnectTimer);
    heartbeat?.stop();
    heartbeat = null;
    host.lost(err);
  };

  /** Stops for good after a refusal; the host fails everything pending. */
  const refuse = (err: HubbubError) => {
    stopped = true;
    if (ws) teardown(err);
    setState({ state: "offline", error: err });
    host.refused(err);
  };

  const closed = (code: number, reason: string) => {
    teardown(new HubbubError(ClientErrorCode.ConnectionLost, `connection closed (${code}${reason ? ` ${reason}` : ""})`));
    if (stopped) return;
    // 4403: the application's backend removed this user; coming back by itself would undo that.
    if (code === CloseCode.BadHandshake || code === CloseCode.Unauthorized || code === CloseCode.Disconnected || (code === CloseCode.NameTaken && !everConnected)) {
      return refuse(new HubbubError(ClientErrorCode.Refused, `the server refused the connection (${code} ${reason})`));
    }
    // 4409 after having connected: a stale connection may still hold the name until the
    // server notices it is gone, so retry, and in the end come back as a guest.
    nameTakenStrikes = code === CloseCode.NameTaken ? nameTakenStrikes + 1 : 0;
    if (nameTakenStrikes > NAME_TAKEN_RETRIES) host.nameTakenRepeatedly();
    // 1008 (abuse): come back slowly.
    if (code === CloseCode.Abuse) attempt = Math.max(attempt, 5);
    const delay = reconnectDelay(attempt, opts.reconnect, retryAfterMs);
    retryAfterMs = 0;
    attempt++;
    reconnectTimer = setTimeout(connect, delay);
    setState({ state: "reconnecting", attempt, retryInMs: delay, retryAt: Date.now() + delay, close: { code, reason } });
  };

  /** Gives up on a socket that went silent (no welcome, or no answer to a ping). */
  const abandon = (socket: WebSocket, why: string) => {
    if (ws !== socket) return;
    try {
      socket.close();
    } catch {
      // Already closing.
    }
    closed(1006, why);
  };

  /** Takes a welcome; false (and a final refusal) when the server speaks another protocol version. */
  const welcomed = (socket: WebSocket, protocol: number): boolean => {
    clearTimeout(connectTimer);
    if (protocol !== PROTOCOL_VERSION) {
      refuse(new HubbubError(ClientErrorCode.Refused, `the server speaks protocol ${String(protocol)}, this client ${PROTOCOL_VERSION}`));
      socket.close(CloseCode.Normal);
      return false;
    }
    heartbeat = startHeartbeat({
      intervalMs: opts.pingIntervalMs,
      timeoutMs: opts.pongTimeoutMs,
      sendPing: () => socket.send(JSON.stringify({ type: "ping", ref: `h${++pingCounter}` } satisfies ClientFrame)),
      onDead: () => abandon(socket, "no answer to ping"),
    });
    return true;
  };

  /** One WebSocket message: one frame, or a batch of them (shared/decode.ts). */
  const receive = (socket: WebSocket, data: unknown) => {
    for (const one of splitFrames(data)) {
      if (ws !== socket) return;
      const f = decodeServerFrame(one);
      if (!f) {
        console.warn("hubbub: ignored a malformed frame from the server");
        continue;
      }
      heartbeat?.touch();
      if (f.type === "welcome" && !welcomed(socket, f.protocol)) continue;
      if (f.type === "shutdown") retryAfterMs = f.retryAfterMs;
      host.frame(f);
    }
  };

  function connect(): void {
    setState({ state: "connecting", attempt });
    const { url, protocols } = host.handshake();
    const socket = new opts.WebSocket(url, protocols);
    ws = socket;
    connectTimer = setTimeout(() => abandon(socket, "connect timeout"), opts.connectTimeoutMs);
    socket.onmessage = (e) => ws === socket && receive(socket, e.data);
    socket.onclose = (e) => ws === socket && closed(e.code, e.reason);
  }

  return {
    get state() {
      return state;
    },
    get open() {
      return ws?.readyState === OPEN;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      connect();
    },
    stop(err) {
      stopped = true;
      const socket = ws;
      teardown(err);
      setState({ state: "offline" });
      if (!socket || socket.readyState === CLOSED) return Promise.resolve();
      return new Promise<void>((resolve) => {
        socket.addEventListener("close", () => resolve(), { once: true });
        socket.close(CloseCode.Normal);
      });
    },
    reconnectNow() {
      if (state.state !== "reconnecting") return;
      clearTimeout(reconnectTimer);
      connect();
    },
    connected() {
      attempt = 0;
      nameTakenStrikes = 0;
      everConnected = true;
      setState({ state: "connected" });
    },
    send(frame) {
      if (ws?.readyState !== OPEN) return false;
      ws.send(JSON.stringify(frame));
      return true;
    },
  };
}
