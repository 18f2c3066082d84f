import { MemoryEngine } from "../src/engine/memory.ts";
import { engineContract } from "./engine-contract.ts";

engineContract("memory", ({ historySize }) => new MemoryEngine({ historySize }));
