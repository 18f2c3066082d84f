// The only place Bun topic names are built. Rooms are the only topics: direct messages go to
// a user's sessions through the Hub's user index (Hub.sendToUser), not through a topic.

/** The topic every member of `room` on this node subscribes to. */
export const roomTopic = (room: string): string => `r:${room}`;
