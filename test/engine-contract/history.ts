// The HistoryStore part of the Engine contract: a room's position {seq, epoch} and paged reads of
// what it keeps.
import { describe, expect, it } from "bun:test";
import type { MessageFrame } from "../../src/shared/protocol.ts";
import { alice, draft, type EngineFactory, seqs, start } from "./fixtures.ts";

export function historyContract(name: string, create: EngineFactory, { windowed }: { windowed: boolean }): void {
  describe(`HistoryStore contract: ${name}`, () => {
    it("starts a room at seq 0 and keeps its epoch while the engine lives", async () => {
      await using n = await start(create);
      const empty = await n.engine.history.position("pos");
      expect(empty.seq).toBe(0);
      expect(empty.epoch).toBeString();
      expect(empty.epoch.length).toBeGreaterThan(0);
      expect(empty.epoch.length).toBeLessThanOrEqual(64);
      expect(await n.engine.history.position("pos")).toEqual(empty);
      await n.engine.presence.join("pos", alice);
      await n.engine.broker.publish("pos", draft(alice, "x"));
      await n.engine.broker.publish("pos", draft(alice, "y"));
      expect(await n.engine.history.position("pos")).toEqual({ seq: 2, epoch: empty.epoch });
      expect(await n.engine.history.page("pos", { limit: 1 })).toMatchObject({ seq: 2, epoch: empty.epoch });
    });

    it("answers an empty room with an empty page at seq 0, whatever the cursor", async () => {
      await using n = await start(create);
      const { epoch } = await n.engine.history.position("void");
      for (const q of [{ limit: 10 }, { after: 0, limit: 10 }, { after: 5, limit: 10 }, { before: 5, limit: 10 }, { before: 0, limit: 1 }]) {
        expect(await n.engine.history.page("void", q)).toEqual({ seq: 0, epoch, messages: [], more: false });
      }
      expect(await n.engine.history.page("never-used", { limit: 10 })).toMatchObject({ seq: 0, messages: [], more: false });
    });

    it.if(windowed)("pages the last HISTORY_SIZE messages after, before and from the newest, with `more` at the edges", async () => {
      await using n = await start(create, 5);
      await n.engine.presence.join("h", alice);
      const sent: MessageFrame[] = [];
      for (let i = 1; i <= 8; i++) sent.push((await n.engine.broker.publish("h", draft(alice, `m${i}`))).message);
      const { epoch } = await n.engine.history.position("h");
      const page = async (q: { before?: number; after?: number; limit: number }) => {
        const p = await n.engine.history.page("h", q);
        expect(p.seq).toBe(8);
        expect(p.epoch).toBe(epoch);
        return [seqs(p.messages), p.more];
      };
      // Kept: 4..8. The newest `limit`, ascending; `more` when older kept ones remain.
      expect(await page({ limit: 10 })).toEqual([[4, 5, 6, 7, 8], false]);
      expect(await page({ limit: 5 })).toEqual([[4, 5, 6, 7, 8], false]);
      expect(await page({ limit: 4 })).toEqual([[5, 6, 7, 8], true]);
      expect(await page({ limit: 2 })).toEqual([[7, 8], true]);
      expect(await page({ before: 7, limit: 2 })).toEqual([[5, 6], true]);
      expect(await page({ before: 6, limit: 2 })).toEqual([[4, 5], false]);
      expect(await page({ before: 5, limit: 2 })).toEqual([[4], false]);
      expect(await page({ before: 4, limit: 2 })).toEqual([[], false]);
      expect(await page({ before: 1, limit: 2 })).toEqual([[], false]);
      expect(await page({ before: 100, limit: 3 })).toEqual([[6, 7, 8], true]);
      // After a seq: the first `limit` newer ones; `more` when newer ones remain.
      expect(await page({ after: 0, limit: 2 })).toEqual([[4, 5], true]);
      expect(await page({ after: 0, limit: 10 })).toEqual([[4, 5, 6, 7, 8], false]);
      expect(await page({ after: 5, limit: 2 })).toEqual([[6, 7], true]);
      expect(await page({ after: 6, limit: 2 })).toEqual([[7, 8], false]);
      expect(await page({ after: 7, limit: 2 })).toEqual([[8], false]);
      expect(await page({ after: 8, limit: 2 })).toEqual([[], false]);
      expect(await page({ after: 100, limit: 2 })).toEqual([[], false]);
      expect((await n.engine.history.page("h", { after: 6, limit: 10 })).messages).toEqual(sent.slice(6));
    });

    it.if(windowed)("with HISTORY_SIZE 0 pages nothing but still reports the seq", async () => {
      await using n = await start(create, 0);
      await n.engine.presence.join("h", alice);
      await n.engine.broker.publish("h", draft(alice, "x"));
      await n.engine.broker.publish("h", draft(alice, "y"));
      const { epoch } = await n.engine.history.position("h");
      expect(await n.engine.history.page("h", { limit: 10 })).toEqual({ seq: 2, epoch, messages: [], more: false });
      expect(await n.engine.history.page("h", { after: 0, limit: 10 })).toEqual({ seq: 2, epoch, messages: [], more: false });
    });
  });
}
