// The SDK under Node: bundled for Node with `bun build --target=node`, then run by a real
// `node` against a real server. Node 22+ has a global WebSocket; Node 20 needs a flag.
import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "./helpers.ts";

const node = Bun.which("node");
if (!node) console.warn("SDK-under-Node test skipped: no `node` on PATH");
const dir = mkdtempSync(join(tmpdir(), "hubbub-node-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!node)("HubbubClient under Node", () => {
  it("connects, sends and gets its ack", async () => {
    const build = Bun.spawnSync([process.execPath, "build", "src/client/index.ts", "--target=node", "--format=esm", "--outfile", join(dir, "sdk.mjs")], { cwd: join(import.meta.dir, "..") });
    expect(build.exitCode).toBe(0);
    // The SDK takes only src/shared/, and of it no zod: Node runs it without the server's deps.
    expect(await Bun.file(join(dir, "sdk.mjs")).text()).not.toMatch(/safeParse|ZodError/);
    writeFileSync(
      join(dir, "run.mjs"),
      `import { HubbubClient } from "./sdk.mjs";
const c = new HubbubClient({ url: process.argv[2], name: "nodey" });
await c.connect();
const ack = await c.send("hello from node");
console.log(JSON.stringify({ seq: ack.seq, name: c.name, users: c.users("lobby").map((u) => u.name), resumable: typeof c.resume === "string" }));
await c.close();`,
    );
    await using app = await startServer();
    const version = Number(Bun.spawnSync([node!, "-p", "process.versions.node.split('.')[0]"]).stdout.toString());
    const flags = version < 22 ? ["--experimental-websocket"] : [];
    const run = Bun.spawn([node!, ...flags, join(dir, "run.mjs"), app.wsUrl], { stdout: "pipe", stderr: "pipe" });
    const [code, out, err] = await Promise.all([run.exited, new Response(run.stdout).text(), new Response(run.stderr).text()]);
    expect({ code, err: err.replace(/^.*ExperimentalWarning.*\n?|^\(Use `node --trace-warnings.*\n?/gm, "") }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(out)).toEqual({ seq: 1, name: "nodey", users: ["nodey"], resumable: true });
  });
});
