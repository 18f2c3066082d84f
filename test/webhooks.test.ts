// Webhooks against a real receiver that verifies every signature with the `standardwebhooks`
// package: the events and their order, no duplicates, retries after failures, no loss across a
// restart, and chat that never waits for a receiver.
import { describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../src/config.ts";
import type { AppDeps } from "../src/server.ts";
import type { WebhookEvent } from "../src/webhooks/events.ts";
import { API_KEY, api } from "./api-helpers.ts";
import { TestClient, eventually, metricSample, startServer, until } from "./helpers.ts";
import { TEST_WEBHOOK_SECRET, startReceiver, type Receiver } from "./webhook-receiver.ts";

const FAST: AppDeps = { webhookTimings: { retryBaseMs: 20, leaveGraceMs: 100 } };

function withHooks(receiver: Receiver, overrides: Partial<Config> = {}, deps: AppDeps = FAST) {
  return startServer({ webhookUrl: receiver.url, webhookSecret: TEST_WEBHOOK_SECRET, apiKey: [API_KEY], rateLimit: 1000, ...overrides }, deps);
}

const ofType = (events: WebhookEvent[], type: string) => events.filter((e) => e.type === type);
const texts = (events: WebhookEvent[]) => ofType(events, "message.created").map((e) => (e.data as { text: string }).text);

describe("webhooks", () => {
  it("sends message, member and user events, signed, in order, each once", async () => {
    await using receiver = startReceiver();
    await using app = await withHooks(receiver);
    const alice = await TestClient.join(app, { name: "alice", room: "den" });
    const bob = await TestClient.join(app, { name: "bob", room: "den" });
    for (let i = 0; i < 30; i++) await (i % 2 ? alice : bob).chat(`m${i}`);
    await api(app, "POST", "/rooms/den/messages", { text: "from the backend" });
    await bob.close();
    const events = await receiver.until((es) => ofType(es, "user.disconnected").length === 1 && ofType(es, "member.left").length === 1, "bob's leave");
    expect(receiver.badSignatures).toEqual([]);
    expect(texts(events)).toEqual([...Array.from({ length: 30 }, (_, i) => `m${i}`), "from the backend"]);
    const seqs = ofType(events, "message.created").map((e) => (e.data as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(ofType(events, "member.joined").map((e) => (e.data as { user: { name: string } }).user.name)).toEqual(["alice", "bob"]);
    expect(ofType(events, "member.left")[0]!.data).toEqual({ room: "den", user: { id: bob.id, name: "bob" } });
    expect(ofType(events, "user.connected").map((e) => (e.data as { user: { name: string } }).user.name)).toEqual(["alice", "bob"]);
    expect(ofType(events, "message.created")[30]!.data).toMatchObject({ room: "den", from: { id: "~system", name: "system" }, text: "from the backend" });
    // Batched: far fewer requests than events, none over 100, and every event id has the `evt_` form.
    expect(receiver.deliveries.every((d) => d.events.length <= 100)).toBe(true);
    expect(receiver.deliveries.length).toBeLessThan(events.length);
    expect(events.every((e) => /^evt_[0-9a-f]{24}$/.test(e.id) && typeof e.ts === "number")).toBe(true);
    // Counted once the receiver's answer is back, which may be just after it recorded the batch.
    await until(async () => metricSample(await (await fetch(`${app.httpUrl}/metrics`)).text(), "hubbub_webhook_events_delivered_total") === events.length, 3000, "the delivered count");
    await alice.close();
  });

  it("sends per user, not per tab, and leaves out a leave undone by a quick rejoin", async () => {
    await using receiver = startReceiver();
    await using app = await withHooks(receiver, {}, { webhookTimings: { retryBaseMs: 20, leaveGraceMs: 60_000 } });
    const tab1 = await TestClient.join(app, { name: "alice", room: "den" });
    const tab2 = await TestClient.join(app, { resume: tab1.resume!, room: "den" });
    await tab1.close();
    // A reload: the last tab goes and comes straight back.
    await tab2.close();
    await using back = await TestClient.join(app, { resume: tab1.resume!, room: "den" });
    await api(app, "POST", "/rooms/den/messages", { text: "sentinel" });
    const events = await receiver.until((es) => texts(es).includes("sentinel"), "the sentinel");
    expect(ofType(events, "member.joined")).toHaveLength(1);
    expect(ofType(events, "member.left")).toHaveLength(0);
    expect(back.id).toBe(tab1.id);
  });

  it("sends edits, reactions and deletes as they are applied, in the room's order, each once", async () => {
    await using receiver = startReceiver();
    await using app = await withHooks(receiver);
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    await using bob = await TestClient.join(app, { name: "bob", room: "den" });
    const { id } = await alice.chat("helo");
    expect(await alice.request({ type: "edit", room: "den", id, text: "hello" })).toMatchObject({ type: "ok" });
    expect(await bob.request({ type: "react", room: "den", id, emoji: "👍", on: true })).toMatchObject({ type: "ok" });
    // A reaction that is already so changes nothing, and is not reported.
    expect(await bob.request({ type: "react", room: "den", id, emoji: "👍", on: true })).toMatchObject({ type: "ok" });
    expect(await api(app, "DELETE", `/rooms/den/messages/${id}`)).toMatchObject({ status: 200 });
    const events = await receiver.until((es) => ofType(es, "message.deleted").length === 1, "the delete");
    expect(receiver.badSignatures).toEqual([]);
    const changes = events.filter((e) => e.type === "message.edited" || e.type === "reaction.changed" || e.type === "message.deleted");
    expect(changes.map((e) => e.type)).toEqual(["message.edited", "reaction.changed", "message.deleted"]);
    expect(changes[0]!.data).toMatchObject({ room: "den", id, text: "hello", by: { id: alice.id } });
    expect(changes[1]!.data).toMatchObject({ room: "den", id, emoji: "👍", on: true, by: { id: bob.id } });
    expect(changes[2]!.data).toMatchObject({ room: "den", id, by: { name: "system" } });
    const seqs = changes.map((e) => (e.data as { seq: number }).seq);
    expect(seqs).toEqual([2, 3, 4]);
  });

  it("sends only the types in WEBHOOK_EVENTS", async () => {
    await using receiver = startReceiver();
    await using app = await withHooks(receiver, { webhookEvents: ["member.joined"] });
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    await alice.chat("not sent");
    await using bob = await TestClient.join(app, { name: "bob", room: "den" });
    const events = await receiver.until((es) => es.length >= 2, "two joins");
    await api(app, "POST", "/rooms/den/messages", { text: "nor this" });
    await using carol = await TestClient.join(app, { name: "carol", room: "den" });
    await receiver.until((es) => es.length >= 3, "carol's join");
    expect(receiver.accepted().map((e) => e.type)).toEqual(["member.joined", "member.joined", "member.joined"]);
    expect(events[0]!.data).toMatchObject({ user: { name: "alice" } });
  });

  it("retries a failing receiver with the same webhook-id, and delivers in order once it recovers", async () => {
    await using receiver = startReceiver(TEST_WEBHOOK_SECRET, (n) => (n < 3 ? 500 : 200));
    await using app = await withHooks(receiver);
    for (let i = 0; i < 5; i++) await api(app, "POST", "/rooms/den/messages", { text: `r${i}` });
    const events = await receiver.until((es) => texts(es).length === 5, "every message");
    expect(texts(events)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    const failed = receiver.deliveries.slice(0, 3);
    expect(failed.map((d) => d.status)).toEqual([500, 500, 500]);
    // The first batch was retried as itself: same id, same events.
    expect(new Set(failed.map((d) => d.id)).size).toBe(1);
    expect(receiver.deliveries[3]!.id).toBe(failed[0]!.id);
    expect(receiver.deliveries[3]!.events).toEqual(failed[0]!.events);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
    expect(metricSample(metrics, "hubbub_webhook_retries_total")).toBe(3);
  });

  it("loses nothing across a restart with events still queued (DATA_DIR)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hubbub-webhooks-"));
    try {
      await using receiver = startReceiver(TEST_WEBHOOK_SECRET, () => 503);
      // Both servers share this process's fetch pool, and a POST stopped mid-flight by the first
      // one's shutdown can leave a dead pooled connection: the second's first POST then waits out
      // WEBHOOK_TIMEOUT_MS (5 s by default, this test's whole budget; seen once in CI) and retries.
      const hooks = { dataDir: dir, webhookTimeoutMs: 1000 };
      const first = await withHooks(receiver, hooks);
      for (let i = 0; i < 10; i++) await api(first, "POST", "/rooms/den/messages", { text: `q${i}` });
      // The receiver is failing: everything is still queued when the server stops.
      await receiver.until(() => receiver.deliveries.length > 0, "a first attempt");
      expect(first.webhooks.queued).toBe(10);
      await first.shutdown();
      receiver.answer = () => 200;
      await using second = await withHooks(receiver, hooks);
      const events = await receiver.until((es) => texts(es).length === 10, "the queued events, after the restart");
      expect(texts(events)).toEqual(Array.from({ length: 10 }, (_, i) => `q${i}`));
      expect(new Set(events.map((e) => e.id)).size).toBe(10);
      // Removed once the receiver's answer is back.
      await eventually(() => second.webhooks.queued === 0, 3000, "the outbox to empty");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to start on a DATA_DIR whose outbox another server holds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hubbub-webhooks-"));
    try {
      await using receiver = startReceiver();
      await using _first = await withHooks(receiver, { dataDir: dir });
      const err = await withHooks(receiver, { dataDir: dir }).then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(/in use by another (process|Hubbub)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never makes chat wait: a receiver that hangs leaves every message acked", async () => {
    await using receiver = startReceiver(TEST_WEBHOOK_SECRET, () => "hang");
    await using app = await withHooks(receiver, { webhookTimeoutMs: 60_000 });
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    await receiver.until(() => receiver.hanging === 1, "the receiver to hold a request");
    for (let i = 0; i < 50; i++) await alice.chat(`while hanging ${i}`);
    // Every ack came back while the one request stayed unanswered; the events wait their turn.
    expect(receiver.hanging).toBe(1);
    expect(receiver.deliveries).toHaveLength(1);
    expect(app.webhooks.queued).toBeGreaterThanOrEqual(50);
    expect((await fetch(`${app.httpUrl}/readyz`)).status).toBe(200);
  });

  it("drops the oldest events past WEBHOOK_QUEUE_SIZE and counts them", async () => {
    await using receiver = startReceiver(TEST_WEBHOOK_SECRET, () => "hang");
    await using app = await withHooks(receiver, { webhookQueueSize: 100, webhookTimeoutMs: 60_000 });
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    await receiver.until(() => receiver.hanging === 1, "the receiver to hold a request");
    for (let i = 0; i < 150; i++) alice.send({ type: "chat", text: `x${i}` });
    await alice.chat("last");
    await alice.sync();
    await eventually(() => app.webhooks.queued <= 100, 3000, "the queue back within its bound");
    const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
    expect(metricSample(metrics, 'hubbub_webhook_events_dropped_total{reason="queue_full"}')).toBeGreaterThan(0);
  });
});
