// The webhook parts on their own: the outbox (order, bound, persistence, the lock), the member
// events' grace, and the signature against the standardwebhooks package's own signing.
import { describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import type { EventData, EventSink, WebhookEventType } from "../src/webhooks/events.ts";
import { MemberEvents } from "../src/webhooks/member-events.ts";
import { SqliteOutbox } from "../src/webhooks/outbox.ts";
import { secretKey, signedHeaders } from "../src/webhooks/signing.ts";
import { eventually } from "./support.ts";
import { TEST_WEBHOOK_SECRET } from "./webhook-receiver.ts";

function tempDir(): string & Disposable {
  const dir = mkdtempSync(join(tmpdir(), "hubbub-outbox-"));
  return Object.assign(dir, { [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) });
}

describe("SqliteOutbox", () => {
  it("hands events back in order, removes up to a seq, and keeps them across a reopen", () => {
    using dir = tempDir();
    const box = new SqliteOutbox({ dataDir: String(dir), maxEvents: 100, dropped: () => {}, lost: () => {} });
    box.append(["a", "b"]);
    box.append(["c"]);
    const head = box.head(10);
    expect(head.map((e) => e.json)).toEqual(["a", "b", "c"]);
    box.remove(head[0]!.seq);
    expect(box.size).toBe(2);
    box.close();
    const again = new SqliteOutbox({ dataDir: String(dir), maxEvents: 100, dropped: () => {}, lost: () => {} });
    expect(again.head(10).map((e) => e.json)).toEqual(["b", "c"]);
    again.close();
  });

  it("drops the oldest past maxEvents and reports how many", () => {
    let dropped = 0;
    const box = new SqliteOutbox({ dataDir: "", maxEvents: 3, dropped: (n) => (dropped += n), lost: () => {} });
    box.append(["1", "2", "3", "4", "5"]);
    expect(box.head(10).map((e) => e.json)).toEqual(["3", "4", "5"]);
    expect([box.size, dropped]).toEqual([3, 2]);
    box.close();
  });

  it("is held by one process at a time", () => {
    using dir = tempDir();
    const first = new SqliteOutbox({ dataDir: String(dir), maxEvents: 10, dropped: () => {}, lost: () => {} });
    expect(() => new SqliteOutbox({ dataDir: String(dir), maxEvents: 10, dropped: () => {}, lost: () => {} })).toThrow("in use by another process");
    first.close();
    new SqliteOutbox({ dataDir: String(dir), maxEvents: 10, dropped: () => {}, lost: () => {} }).close();
  });
});

describe("MemberEvents", () => {
  const alice = { id: "a1", name: "alice" };
  function setup(graceMs: number, member = () => false) {
    const sent: { type: WebhookEventType; data: unknown }[] = [];
    const events: EventSink = { emit: <T extends WebhookEventType>(type: T, data: EventData[T]) => void sent.push({ type, data }) };
    return { sent, m: new MemberEvents({ nodeId: "me", events, isMember: member, graceMs }) };
  }

  it("reports only its own node's changes", () => {
    const { sent, m } = setup(60_000);
    m.presence("den", [alice], [], "other");
    m.presence("den", [alice], [], "me");
    expect(sent).toEqual([{ type: "member.joined", data: { room: "den", user: alice } }]);
  });

  it("cancels a held leave on a rejoin, from any node, and sends neither", () => {
    const { sent, m } = setup(60_000);
    m.presence("den", [], [alice], "me");
    m.presence("den", [alice], [], "other");
    m.presence("den", [], [alice], "me");
    m.presence("den", [alice], [], "me");
    m.flush();
    expect(sent).toEqual([]);
  });

  it("sends a held leave after the grace, unless the user is back by way of another node", async () => {
    const back = setup(10, () => true);
    back.m.presence("den", [], [alice], "me");
    const gone = setup(10);
    gone.m.presence("den", [], [alice], "me");
    await eventually(() => gone.sent.length === 1, 3000, "the leave");
    expect(gone.sent).toEqual([{ type: "member.left", data: { room: "den", user: alice } }]);
    expect(back.sent).toEqual([]);
  });
});

describe("signing", () => {
  it("signs exactly as the standardwebhooks package does", () => {
    const body = '{"events":[]}';
    const now = 1_796_172_676_000;
    const headers = signedHeaders(secretKey(TEST_WEBHOOK_SECRET), "msg_1", body, now);
    expect(headers["webhook-signature"]).toBe(new Webhook(TEST_WEBHOOK_SECRET).sign("msg_1", new Date(now), body));
    expect(headers["webhook-timestamp"]).toBe(String(now / 1000));
  });
});
