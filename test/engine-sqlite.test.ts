import { MemoryEngine } from "../src/engine/memory.ts";
import { SqliteStream } from "../src/engine/sqlite-stream.ts";
import { silentLogger } from "../src/log.ts";
import { engineContract } from "./engine-contract.ts";
import { tempDir } from "./helpers.ts";

// The single-node engine on the durable store: everything is kept (retention trims in the
// background), so the HISTORY_SIZE window does not apply.
engineContract(
  "sqlite",
  () => {
    const dir = tempDir();
    const engine = new MemoryEngine({ historySize: 0, stream: new SqliteStream({ dir: dir.path, retention: 0, maxAgeMs: 0, log: silentLogger }) });
    const close = engine.close.bind(engine);
    engine.close = async () => {
      await close();
      dir[Symbol.dispose]();
    };
    return engine;
  },
  { windowed: false },
);
