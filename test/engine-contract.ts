// The Engine contract (src/engine/engine.ts), as one suite per part that every engine runs:
// engine-memory.test.ts, engine-sqlite.test.ts and engine-redis.test.ts. Each part's suite is in
// engine-contract/; each test gets a fresh engine with empty state and a RecordingSink.
import { brokerContract } from "./engine-contract/broker.ts";
import type { ContractOptions, EngineFactory } from "./engine-contract/fixtures.ts";
import { historyContract } from "./engine-contract/history.ts";
import { lifecycleContract } from "./engine-contract/lifecycle.ts";
import { namesContract } from "./engine-contract/names.ts";
import { presenceContract } from "./engine-contract/presence.ts";
import { streamChangesContract } from "./engine-contract/stream-changes.ts";

export { draft, type ContractOptions, type EngineFactory } from "./engine-contract/fixtures.ts";
export { RecordingSink, type UserDelivery } from "./engine-contract/recording-sink.ts";

export function engineContract(name: string, create: EngineFactory, opts: ContractOptions = {}): void {
  const { windowed = true, changes = true } = opts;
  brokerContract(name, create, { windowed });
  historyContract(name, create, { windowed });
  streamChangesContract(name, create, { changes });
  presenceContract(name, create);
  namesContract(name, create);
  lifecycleContract(name, create);
}
