// What each scenario reports. The report (report.ts) only formats these; the scenarios
// (scenarios.ts) only produce them.
import type { Saturation, StepResult } from "./measure.ts";

/**
 * What a scenario runs against: the baseline; Hubbub on its default memory engine; Hubbub on
 * the Redis engine (one node, or two nodes sharing a room), with a private redis-server.
 */
/** `hubbub` runs STORE=memory (the benchmark's reference); `hubbub+sqlite` the durable default, on a fresh DATA_DIR. */
export type ServerKind = "baseline" | "hubbub" | "hubbub+sqlite" | "hubbub+redis" | "2×hubbub+redis";
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
  serverCpuMs: number;
  hwmBytes: number;
}

export type ScenarioResult = StepsResult | ConnectStormResult | PresenceStormResult;
