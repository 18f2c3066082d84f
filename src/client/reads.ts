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

export class ReadMarkers {
  private readonly seqs = new Map<string, number>();
  /** Rooms whose newest marker the server has not been sent yet. */
  private readonly unsent = new Set<string>();
  private readonly flying = new Set<string>();

  constructor(private readonly host: ReadHost) {}

  get(room: string): number {
    return this.seqs.get(room) ?? 0;
  }

  /** Raises the marker (never lowers it); `fromServer`: it came from the server, nothing to send. */
  raise(room: string, seq: number, fromServer = false): void {
    if (seq <= this.get(room)) return;
    this.seqs.set(room, seq);
    this.host.changed(room, seq);
    if (!fromServer) this.unsent.add(room);
  }

  /** The room's numbering restarted, or the room was left: its marker means nothing now. */
  reset(room: string): void {
    this.seqs.delete(room);
    this.unsent.delete(room);
  }

  /** Sends every marker the server has not heard (call when connected). */
  flush(): void {
    for (const room of [...this.unsent]) {
      if (this.flying.has(room)) continue;
      this.unsent.delete(room);
      this.flying.add(room);
      const seq = this.get(room);
      this.host.send(room, seq).then(
        (kept) => {
          this.flying.delete(room);
          this.raise(room, kept, true);
          this.flush();
        },
        () => {
          // Lost with the connection (sent again at the next connect), or refused (not in the room).
          this.flying.delete(room);
          if (this.seqs.has(room) && this.get(room) >= seq) this.unsent.add(room);
        },
      );
    }
  }
}
