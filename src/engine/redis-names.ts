// NameRegistry on Redis: cluster-wide unique names. The claims themselves are scripts
// (redis-scripts.ts) run by Ownership, which keeps this node's names so it can write them back
// after an outage and release them when the node goes; this part is the Engine's face of it.
import type { Member } from "../shared/protocol.ts";
import type { NameRegistry } from "./engine.ts";
import type { Ownership } from "./redis-ownership.ts";

export class RedisNames implements NameRegistry {
  constructor(private readonly own: Ownership) {}

  claim(key: string, member: Member): Promise<boolean> {
    return this.own.claim(key, member);
  }

  release(key: string, memberId: string): Promise<void> {
    return this.own.release(key, memberId);
  }

  lookup(key: string): Promise<Member | null> {
    return this.own.lookup(key);
  }

  lookupUser(userId: string): Promise<Member | null> {
    return this.own.lookupUser(userId);
  }
}
