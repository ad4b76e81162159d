// Types for explorer/experiment.js (plain JavaScript, loaded as is by the
// page), so test/explorer.test.ts can run the page's steps in Node.
import type {
  GoMap,
  KindName,
  MemStats,
  RestoreOptions,
  RestoreResult,
  Runtime,
  RuntimeOptions,
} from "../src/index.js";

export declare const CHUNK: number;
export declare const KIND_NAMES: readonly KindName[];
export declare const SAMPLE_FIELDS: readonly (keyof MemStats)[];

// biome-ignore lint/suspicious/noShadowRestrictedNames: a module export, not Object.prototype.valueOf
export declare function valueOf(kind: KindName, i: number): number | bigint | string | Uint8Array;
export declare function batchOf(kind: KindName, from: number, n: number): ArrayLike<unknown>;
export declare function numberOf(kind: KindName, k: unknown): number;
export declare function keyRange(m: GoMap): { low: number; next: number } | null;

export interface MapSettings {
  key: KindName;
  value: KindName;
  hint: number;
  seed?: number;
}
export declare function mapSettings(input?: {
  key?: string;
  value?: string;
  hint?: number | string;
  seed?: number | string | null;
}): MapSettings;

export interface Sample {
  step: number;
  label: string;
  ms: number;
  stats: Record<string, number>;
}
export interface TraceLine {
  step: number;
  line: string;
}
export interface StepOptions {
  pause?: () => Promise<void>;
  onProgress?: (done: number, n: number) => void;
}

/** The Runtime class of either entry (src/node.ts, dist/browser.js). */
export interface RuntimeClass {
  create(options?: RuntimeOptions): Promise<Runtime>;
  restore(image: Uint8Array, options?: RestoreOptions): Promise<RestoreResult>;
}

export declare class Session {
  rt: Runtime;
  map: GoMap | null;
  settings: MapSettings | null;
  low: number;
  next: number;
  samples: Sample[];
  traces: TraceLine[];
  static create(
    Runtime: RuntimeClass,
    options?: {
      trusted?: boolean;
      gcPercent?: number | "off";
      maxMemory?: string | number;
      debug?: boolean;
      onTrace?: (t: TraceLine) => void;
    },
  ): Promise<Session>;
  static restore(
    Runtime: RuntimeClass,
    bytes: Uint8Array,
    options?: { name?: string; trusted?: boolean; debug?: boolean; onTrace?: (t: TraceLine) => void },
  ): Promise<Session>;
  get options(): { trusted: boolean; gcPercent?: number | "off"; maxMemory?: string | number; debug: boolean };
  get hasMap(): boolean;
  record(label: string, ms?: number): Sample;
  makeMap(settings: { key?: string; value?: string; hint?: number | string; seed?: number | string | null }): GoMap;
  insert(n: number, options?: StepOptions): Promise<void>;
  delete(n: number, options?: StepOptions): Promise<void>;
  gcStep(budget?: number): { started: boolean; work: number; phase: "off" | "mark" };
  gc(): void;
  clear(): void;
  shrink(): void;
  get canCompact(): boolean;
  compact(): Promise<unknown>;
  zeroValues(): number;
  save(): Uint8Array<ArrayBuffer>;
  freeMap(): void;
}
