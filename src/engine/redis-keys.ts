// The only place Redis key and channel names are built. Every name starts with the cluster's
// prefix (HUBBUB_PREFIX), so two clusters can share one Redis. Rooms match
// ^[a-z0-9][a-z0-9_-]*$ and node ids are hex, so the `:`-separated parts cannot collide. User
// ids can hold any character (a JWT `sub`), so where one is part of a key it is length-prefixed
// (`<length>:<id>`): the length says where the id ends, whatever it contains.
//
// Layout (P = prefix):
//   P:room:<room>:seq            string  the room's latest seq in its epoch (INCR)
//   P:room:<room>:epoch          string  the room's epoch: random hex, SET NX by the first publish
//                                        or read that finds it missing (so a Redis that lost its
//                                        data gives the room a new one); while the room has had no
//                                        message it expires after EMPTY_EPOCH_TTL_MS
//   P:room:<room>:history        stream  the room's last HISTORY_SIZE message envelopes, id = <seq>-0
//   P:room:<room>:ids            zset    message id → seq, for the messages history keeps (edits, deletes
//                                        and reactions find their message here)
//   P:room:<room>:changes        hash    message id → its current state JSON {text, edited, deleted,
//                                        reactions}, for kept messages that were changed
//   P:room:<room>:members        hash    member id → member JSON {"id","name"}, cluster-wide; HLEN is
//                                        the room's count
//   P:room:<room>:member-ids     zset    the same ids, score 0, so ordered by id (bytes): a page is
//                                        ZRANGEBYLEX + HMGET of that page, never the whole hash
//   P:room:<room>:refs           hash    member id → how many nodes hold it there (a user's tabs
//                                        can be on several nodes; the last one's leave removes it)
//   P:room:<room>:state          string  the room's state JSON (room-rules.ts), with its version `v`
//   P:slow:<room>:<len>:<user>   string  the user posted into the slowmode room (PX: the slowmode)
//   P:cid:<len>:<user id>:<cid>  string  the envelope a send with this SendKey published (PX
//                                        IDEMPOTENCY_WINDOW_MS): a retry answers it, publishing nothing
//   P:dcid:<len>:<user id>:<cid> string  the sender's envelope of a direct message sent with this
//                                        SendKey (PX IDEMPOTENCY_WINDOW_MS), the same way
//   P:rooms                      zset    rooms with members (score 0, so ordered by name); the
//                                        join and leave scripts keep it, a listing prunes strays
//   P:names                      hash    name key → holder JSON {"id","name"}
//   P:user-names                 hash    user id → the name key it last claimed (checked against
//                                        P:names on reading; a dead node's entries go stale, harmlessly)
//   P:name-refs                  hash    name key → how many nodes hold it (same reason)
//   P:nodes                      zset    node id → time (ms, Redis clock) after which it counts as dead
//   P:node:<node>:rooms          set     rooms the node has members in (what to clean if it dies)
//   P:node:<node>:room:<room>    set     the node's member ids in that room
//   P:node:<node>:names          set     name keys held by the node's members
//   P:ch:room:<room>             channel the room's messages, signals and presence, in seq order
//   P:ch:direct                  channel frames for users (every node listens, delivers to its own)
//   P:ch:control                 channel control messages (every node listens, the sender too)
//   P:ch:node:<node>             channel the node's own health-check pings

export interface RedisKeys {
  roomSeq(room: string): string;
  roomEpoch(room: string): string;
  roomHistory(room: string): string;
  roomIds(room: string): string;
  roomChanges(room: string): string;
  roomMembers(room: string): string;
  roomMemberIds(room: string): string;
  roomRefs(room: string): string;
  roomState(room: string): string;
  slowPost(room: string, userId: string): string;
  sendKey(userId: string, cid: string): string;
  directKey(userId: string, cid: string): string;
  readonly rooms: string;
  readonly names: string;
  readonly userNames: string;
  readonly nameRefs: string;
  readonly nodes: string;
  nodeRooms(node: string): string;
  nodeRoomMembers(node: string, room: string): string;
  nodeNames(node: string): string;
  roomChannel(room: string): string;
  readonly directChannel: string;
  readonly controlChannel: string;
  nodeChannel(node: string): string;
}

export function redisKeys(prefix: string): RedisKeys {
  const p = `${prefix}:`;
  return {
    roomSeq: (room) => `${p}room:${room}:seq`,
    roomEpoch: (room) => `${p}room:${room}:epoch`,
    roomHistory: (room) => `${p}room:${room}:history`,
    roomIds: (room) => `${p}room:${room}:ids`,
    roomChanges: (room) => `${p}room:${room}:changes`,
    roomMembers: (room) => `${p}room:${room}:members`,
    roomMemberIds: (room) => `${p}room:${room}:member-ids`,
    roomRefs: (room) => `${p}room:${room}:refs`,
    roomState: (room) => `${p}room:${room}:state`,
    slowPost: (room, userId) => `${p}slow:${room}:${userId.length}:${userId}`,
    sendKey: (userId, cid) => `${p}cid:${userId.length}:${userId}:${cid}`,
    directKey: (userId, cid) => `${p}dcid:${userId.length}:${userId}:${cid}`,
    rooms: `${p}rooms`,
    names: `${p}names`,
    userNames: `${p}user-names`,
    nameRefs: `${p}name-refs`,
    nodes: `${p}nodes`,
    nodeRooms: (node) => `${p}node:${node}:rooms`,
    nodeRoomMembers: (node, room) => `${p}node:${node}:room:${room}`,
    nodeNames: (node) => `${p}node:${node}:names`,
    roomChannel: (room) => `${p}ch:room:${room}`,
    directChannel: `${p}ch:direct`,
    controlChannel: `${p}ch:control`,
    nodeChannel: (node) => `${p}ch:node:${node}`,
  };
}
