// What the server keeps across restarts lives in DATA_DIR, which it creates itself: the rooms
// (hubbub.db, test/durable-*.test.ts) and the guests' resume-token secret, so a guest is the
// same person after a restart of the process.
import { describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer, TestClient } from "./helpers.ts";

function tempDir(): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), "hubbub-data-"));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

describe("DATA_DIR", () => {
  it("is created on first start, keeps the guest secret, and a guest is the same user after a restart", async () => {
    using tmp = tempDir();
    const dir = join(tmp.path, "nested", "data");
    let resume: string;
    let id: string;
    {
      await using srv = await spawnServer({ DATA_DIR: dir });
      await using c = await TestClient.join(`ws://127.0.0.1:${srv.port}/ws`, { name: "alice" });
      resume = c.resume!;
      id = c.id;
    }
    const secret = join(dir, "guest-secret");
    expect(readFileSync(secret, "utf8").trim().length).toBeGreaterThanOrEqual(32);
    expect(statSync(secret).mode & 0o077).toBe(0);
    await using srv = await spawnServer({ DATA_DIR: dir });
    await using c = await TestClient.join(`ws://127.0.0.1:${srv.port}/ws`, { resume });
    expect([c.id, c.name]).toEqual([id, "alice"]);
  });

  it("a directory that cannot be used stops the start with one line; with STORE=memory it only costs resumability", async () => {
    using tmp = tempDir();
    const blocker = join(tmp.path, "a-file");
    writeFileSync(blocker, "not a directory");
    // The default store needs the directory: an ack must mean the message is on disk.
    await expect(spawnServer({ DATA_DIR: join(blocker, "data") })).rejects.toThrow(
      `server exited 1: hubbub: cannot start: cannot create data directory ${join(blocker, "data")} (ENOTDIR); set DATA_DIR to a writable directory\n`,
    );
    await using srv = await spawnServer({ DATA_DIR: join(blocker, "data"), STORE: "memory" });
    expect(srv.lines.filter((l) => l.includes("cannot keep the guest secret"))).toHaveLength(1);
    await using c = await TestClient.join(`ws://127.0.0.1:${srv.port}/ws`);
    expect(c.resume).toBeString();
  });

  it("GUEST_SECRET, when set, is the secret, and no guest secret is written", async () => {
    using tmp = tempDir();
    const dir = join(tmp.path, "data");
    const GUEST_SECRET = "k".repeat(40);
    let resume: string;
    let id: string;
    {
      await using srv = await spawnServer({ DATA_DIR: dir, GUEST_SECRET });
      await using c = await TestClient.join(`ws://127.0.0.1:${srv.port}/ws`);
      resume = c.resume!;
      id = c.id;
    }
    expect(() => statSync(join(dir, "guest-secret"))).toThrow();
    await using srv = await spawnServer({ GUEST_SECRET });
    await using c = await TestClient.join(`ws://127.0.0.1:${srv.port}/ws`, { resume });
    expect(c.id).toBe(id);
  });
});
