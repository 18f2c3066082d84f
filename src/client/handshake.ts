// Where and how one connection attempt opens: the handshake URL and the subprotocols. Pure, so
// the query a server sees can be tested without a socket. The server answers the handshake like a
// join without a ref: welcome, the room's replay (with since), then its ref-less `users` frame.
import { BATCH_SUBPROTOCOL, SUBPROTOCOL } from "../shared/limits.ts";
import type { ResumePoint } from "./room.ts";

export interface HandshakeParams {
  /** The server's endpoint, `ws(s)://host/ws`; its own query is kept. */
  url: string | URL;
  /** A JWT: offered as the subprotocol `bearer.<token>` (never in the URL, so not in proxy logs). */
  token?: string;
  /** The name to ask for; null for whatever the server assigns. */
  name: string | null;
  /** A resume token; ignored with a `token`, which says who the user is. */
  resume: string | null;
  /** The room the connection starts in. */
  room: string;
  /** That room's position, to be replayed from. */
  from?: ResumePoint;
}

export interface Handshake {
  url: string;
  protocols: string[];
}

export function handshakeRequest(p: HandshakeParams): Handshake {
  const url = new URL(p.url);
  const q = url.searchParams;
  if (p.name !== null) q.set("name", p.name);
  if (p.resume !== null && p.token === undefined) q.set("resume", p.resume);
  q.set("room", p.room);
  if (p.from?.since !== undefined) q.set("since", String(p.from.since));
  if (p.from?.epoch !== undefined) q.set("epoch", p.from.epoch);
  // Batched frames first (the link splits them; shared/decode.ts): a server without them answers plain v2.
  const protocols = [BATCH_SUBPROTOCOL, SUBPROTOCOL];
  return { url: url.toString(), protocols: p.token === undefined ? protocols : [...protocols, `bearer.${p.token}`] };
}
