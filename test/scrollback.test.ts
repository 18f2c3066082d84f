// Scrollback through a big stored history: 5,000 messages on the durable store, paged back by a
// raw client and loaded into the SDK's message list with loadOlder.
import { describe, expect, it } from "bun:test";
import type { MessageFrame } from "../src/shared/protocol.ts";
import { TestClient, startServer, tempDir } from "./helpers.ts";
import { nextEvent, sdkClient } from "./sdk.ts";

const TOTAL = 5000;

describe("scrollback (STORE=sqlite)", () => {
  it("pages back through 5,000 stored messages, and the SDK loads them all with loadOlder", async () => {
    using dir = tempDir();
    await using app = await startServer({ dataDir: dir.path, rateLimit: 1_000_000, requestRateLimit: 1000 });
    await using writer = await TestClient.join(app, { name: "writer", room: "big" });
    // In windows of 50: a connection may have at most 64 requests waiting (MAX_QUEUED_REQUESTS).
    for (let i = 1; i <= TOTAL; i++) {
      writer.send({ type: "chat", text: `m${i}`, ref: i });
      if (i % 50 === 0) await writer.count("ack", i, 10_000);
    }

    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await writer.request({ type: "history", room: "big", before, limit: 200 });
      if (page.type !== "history") throw new Error(JSON.stringify(page));
      seen.unshift(...page.messages.map((m) => m.seq));
      if (!page.more) break;
      before = page.messages[0]!.seq;
    }
    expect(seen).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));

    await using sdk = await sdkClient(app, { name: "reader", rooms: ["big"] });
    const live = nextEvent(sdk, "message");
    await writer.chat("live one");
    await live;
    for (let more = true; more; ) more = (await sdk.loadOlder("big", 200)).more;
    const list = sdk.messages("big");
    expect(list).toHaveLength(TOTAL + 1);
    expect(list.map((m: MessageFrame) => m.seq)).toEqual(Array.from({ length: TOTAL + 1 }, (_, i) => i + 1));
    expect(list[0]!.text).toBe("m1");
    expect(await sdk.loadOlder("big")).toEqual({ messages: [], more: false });
  }, 60_000);
});
