// What each scenario reports. The report (report.ts) only formats these; the scenarios
// (scenarios.ts) only produce them.
import type { Saturation, StepResult } from "./measure.ts";

/**
 * What a scenario runs against: the baseline; Hubbub on its default memory engine; Hubbub on
 * the Redis engine (one node, or two nodes sharing a room), with a private redis-server.
 */
/** `hubbub` runs STORE=memory (the benchmark's reference); `hubbub+sqlite` the durable default, on a fresh DATA_DIR. */
/** `hubbub+batch`: Hubbub as `hubbub`, its clients asking for batched frames (`?batch=1`). */
export type ServerKind = "baseline" | "hubbub" | "hubbub+batch" | "hubbub+sqlite" | "hubbub+redis" | "2×hubbub+redis";
export const SERVERS: readonly ServerKind[] = ["baseline", "hubbub"];

/** A scenario that sends messages: one row per measured step. */
export interface StepsResult {
  kind: "steps";
  scenario: string;
  server: ServerKind;
  clients: number;
  rooms: number;
  rows: StepRow[];
  /** Connections the server evicted (Hubbub's "evicted" log lines; the baseline never evicts). */
  evictions: number;
}

export interface StepRow {
  label: string;
  /** Members of the senders' room, where a scenario has rooms of several sizes. */
  members?: number;
  senders: number;
  ratePerSender: number;
  result: StepResult;
  /** ≥ 99% delivered and p99 ≤ 250 ms. */
  pass: boolean;
}

/** The connect storm: how fast connections are accepted, and what each costs at rest. */
export interface ConnectStormResult {
  kind: "connect";
  scenario: string;
  server: ServerKind;
  connections: number;
  failed: number;
  elapsedMs: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  rssBeforeBytes: number;
  /** VmRSS once the connections have sat idle for a moment. */
  rssIdleBytes: number;
  hwmBytes: number;
  bytesPerConnection: number;
  /** Server CPU during the storm. */
  serverCpuMs: number;
  /** CPU used / CPU available during the storm, for each side (0..1). */
  serverUtil: number;
  generatorUtil: number;
  saturated: Saturation;
}

/** The presence storm: members joining one room at once. */
export interface PresenceStormResult {
  kind: "presence";
  scenario: string;
  server: ServerKind;
  members: number;
  failed: number;
  /** First join begun → last member's `users` snapshot (ms). */
  joinElapsedMs: number;
  /** Last member's snapshot → every member's list complete (ms); NaN when some never were. */
  completeAfterLastJoinMs: number;
  complete: number;
  presenceFrames: number;
  presenceBytes: number;
  snapshotBytes: number;
  /** presenceBytes / members: what one join cost the room in presence traffic. */
  presenceBytesPerJoin: number;
  /** Joins answered while the room was large (0 in a room that never crossed PRESENCE_LIST_MAX). */
  largeJoins: number;
  /**
   * What a join into the large room cost in presence traffic: its own answer (count and first
   * page) plus the presence frames members received while the room was large, over largeJoins.
   * NaN when no join was large.
   */
  largeBytesPerJoin: number;
  /** The presence frames' share of largeBytesPerJoin (count frames, crossings). */
  largePresenceBytesPerJoin: number;
  serverCpuMs: number;
  hwmBytes: number;
}

/** Many connections held in one room (large.ts): what each costs at rest, and one message to them all. */
export interface HoldResult {
  kind: "hold";
  scenario: string;
  server: ServerKind;
  connections: number;
  failed: number;
  /** (idle VmRSS − VmRSS before connecting) / connections. */
  bytesPerConnection: number;
  rssIdleBytes: number;
  /** Server CPU while every connection sat idle for `idleWindowMs`, as a share of one core (0..1). */
  idleCpuShare: number;
  idleWindowMs: number;
  /** A few messages, one at a time, to the whole room; null when the connections did not all open. */
  fanout: StepRow | null;
}

/** Redis commands a join costs in a room of `members` (large.ts). */
export interface JoinCostResult {
  kind: "joins";
  scenario: string;
  server: ServerKind;
  members: number;
  joins: number;
  /** Commands every node sent to Redis from the first measured join to the last one's answer. */
  redisCommands: number;
  perJoin: number;
}

export type ScenarioResult = StepsResult | ConnectStormResult | PresenceStormResult | HoldResult | JoinCostResult;
