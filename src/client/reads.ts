// This user's read markers, per room: how far they have read (a seq in the room's current
// epoch). markRead() raises a marker at once, locally, and sends the newest one to the server,
// at most one `read` in flight per room (a burst of reads while messages stream in costs one
// request per round trip, not one per message). The server answers with the marker as kept and
// tells the user's other connections, whose `read` frames raise their markers here too.
export interface ReadHost {
  /** Sends `read {room, seq}`; resolves with the marker the server kept. Rejects when the connection is gone. */
  send(room: string, seq: number): Promise<number>;
  /** A room's marker moved. */
  changed(room: string, seq: number): void;
}

export interface ReadMarkers {
  get(room: string): number;
  /** Raises the marker (never lowers it); `fromServer`: it came from the server, nothing to send. */
  raise(room: string, seq: number, fromServer?: boolean): void;
  /** The room's numbering restarted, or the room was left: its marker means nothing now. */
  reset(room: string): void;
  /** Sends every marker the server has not heard (call when connected). */
  flush(): void;
}

export function createReadMarkers(host: ReadHost): ReadMarkers {
  const seqs = new Map<string, number>();
  /** Rooms whose newest marker the server has not been sent yet. */
  const unsent = new Set<string>();
  const flying = new Set<string>();
  const get = (room: string) => seqs.get(room) ?? 0;
  const raise = (room: string, seq: number, fromServer = false) => {
    if (seq <= get(room)) return;
    seqs.set(room, seq);
    host.changed(room, seq);
    if (!fromServer) unsent.add(room);
  };
  const flush = () => {
    for (const room of [...unsent]) {
      if (flying.has(room)) continue;
      unsent.delete(room);
      flying.add(room);
      const seq = get(room);
      host.send(room, seq).then(
        (kept) => {
          flying.delete(room);
          raise(room, kept, true);
          flush();
        },
        () => {
          // Lost with the connection (sent again at the next connect), or refused (not in the room).
          flying.delete(room);
          if (seqs.has(room) && get(room) >= seq) unsent.add(room);
        },
      );
    }
  };
  return {
    get,
    raise,
    reset(room) {
      seqs.delete(room);
      unsent.delete(room);
    },
    flush,
  };
}
