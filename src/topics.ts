// The only place Bun topic names are built. Rooms are the only topics (two per room: plain
// frames, and batched ones for clients that asked): direct messages go to
// a user's sessions through the Hub's user index (Hub.sendToUser), not through a topic.

/** The topic every member of `room` on this node subscribes to. */
export const roomTopic = (room: string): string => `r:${room}`;

/** The topic of `room`'s members here that asked for batched frames (batcher.ts): `\n`-joined lines. */
export const batchTopic = (room: string): string => `b:${room}`;
