// The only place Bun topic names are built. Rooms match ^[a-z0-9][a-z0-9_-]*$ and user ids
// are hex (anonymous) or a token's `sub` (any string); the `r:` / `u:` prefixes keep the two
// kinds apart whatever the id holds.

/** The topic every member of `room` on this node subscribes to. */
export const roomTopic = (room: string): string => `r:${room}`;

/**
 * The topic of one user, for direct messages. Engines deliver to it like any topic, but no
 * socket subscribes to it: the Hub routes it to the user's sessions itself (see Hub.users).
 */
export const userTopic = (id: string): string => `u:${id}`;

/** The user a topic belongs to, or null for a room topic. */
export const userOfTopic = (topic: string): string | null => (topic.startsWith("u:") ? topic.slice(2) : null);

/** The room a topic belongs to, or null for a user topic. */
export const roomOfTopic = (topic: string): string | null => (topic.startsWith("r:") ? topic.slice(2) : null);
