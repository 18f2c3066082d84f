// What every part's contract suite starts from: a fresh engine with empty state and a
// RecordingSink, message drafts, two members, and the options that say what an engine's
// history keeps.
import type { Engine, MessageDraft } from "../../src/engine/engine.ts";
import type { Member } from "../../src/shared/protocol.ts";
import { RecordingSink } from "./recording-sink.ts";

export type EngineFactory = (opts: { historySize: number }) => Engine | Promise<Engine>;

export interface Started extends AsyncDisposable {
  engine: Engine;
  sink: RecordingSink;
}

export async function start(create: EngineFactory, historySize = 100): Promise<Started> {
  const engine = await create({ historySize });
  const sink = new RecordingSink();
  await engine.start(sink);
  return { engine, sink, [Symbol.asyncDispose]: () => engine.close() };
}

let counter = 0;
export function draft(from: Member, text: string): MessageDraft {
  return { id: `test-${++counter}`, ts: Date.now(), from, kind: "text", text };
}

export const alice: Member = { id: "a11ce0000001", name: "alice" };
export const bob: Member = { id: "b0b000000002", name: "bob" };
export const seqs = (ms: { seq: number }[]): number[] => ms.map((m) => m.seq);
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** What an engine's history keeps, for the parts of the contract that depend on it. */
export interface ContractOptions {
  /** History is the last HISTORY_SIZE entries (memory, Redis); false: everything, trimmed by retention (SQLite). */
  windowed?: boolean;
  /** Edits, deletes and reactions are supported (not yet on Redis). */
  changes?: boolean;
}
