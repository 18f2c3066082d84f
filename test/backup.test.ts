// `hubbub backup <file>` against a running server: a consistent copy, taken while it writes.
import { Database } from "bun:sqlite";
import { describe, expect, it } from "bun:test";
import { join } from "node:path";
import { TestClient, spawnServer, tempDir } from "./helpers.ts";

function backup(args: string[], dataDir: string): { code: number; out: string } {
  const r = Bun.spawnSync([process.execPath, "src/index.ts", "backup", ...args], {
    cwd: `${import.meta.dir}/..`,
    env: { ...process.env, DATA_DIR: dataDir },
  });
  return { code: r.exitCode, out: `${r.stdout.toString()}${r.stderr.toString()}`.trim() };
}

describe("hubbub backup", () => {
  it("copies the database while the server runs, and the copy holds every acknowledged message", async () => {
    using dir = tempDir();
    using out = tempDir();
    await using server = await spawnServer({ DATA_DIR: dir.path });
    await using c = await TestClient.join(server.wsUrl, { name: "alice", room: "den" });
    for (let i = 1; i <= 20; i++) await c.chat(`m${i}`);
    const file = join(out.path, "copy.db");
    expect(backup([file], dir.path)).toEqual({ code: 0, out: `hubbub backup: wrote ${file} (20 stored entries)` });
    const copy = new Database(file, { readonly: true });
    expect(copy.query("SELECT text FROM entries ORDER BY seq").all()).toEqual(Array.from({ length: 20 }, (_, i) => ({ text: `m${i + 1}` })));
    copy.close();
    // The server did not notice.
    expect((await c.chat("after the backup")).seq).toBe(21);
    expect(backup([file], dir.path)).toEqual({ code: 1, out: `hubbub backup: ${file} exists; choose a new file` });
  }, 20_000);

  it("says what is wrong, in one line: no file given, no database, no DATA_DIR", () => {
    using dir = tempDir();
    expect(backup([], dir.path).code).toBe(2);
    expect(backup([], dir.path).out).toStartWith("usage: hubbub backup <file>");
    expect(backup(["x.db"], join(dir.path, "empty"))).toEqual({ code: 1, out: `hubbub backup: no database at ${join(dir.path, "empty", "hubbub.db")}` });
    expect(backup(["x.db"], "")).toEqual({ code: 2, out: "hubbub backup: DATA_DIR is empty: there is no database to back up" });
  });
});
