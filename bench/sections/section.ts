import type { Figure } from '../lib/report';

/** Sizes a run is made of: `--quick` shrinks them, `--full` grows them. */
export interface BenchProfile {
  name: 'quick' | 'default' | 'full';
  /** Repeats per figure (the figure is their median). */
  repeats: number;
  /** Calls per repeat for the micro-benchmarks. */
  hotIterations: number;
  coldIterations: number;
  refreshIterations: number;
  stampedeCallers: number;
  stampedeProcesses: number;
  scaleConnections: number;
  /** `--scale 10000,100000,1000000`: every size in turn, on every store (scaleConnections is the first). */
  scaleSizes: number[];
  /** `--scale-seconds S`: stop each scale run after S seconds of refreshing (the rate is then over its last 90 %). */
  scaleSeconds?: number;
  /** SQL servers the scale section runs on, in order (`--stores mariadb,postgres`). */
  scaleStores: string[];
  scaleConcurrency: number;
  scaleLatencyMs: number;
}

/** One bench section: measures, and returns figures plus whatever raw detail belongs in the JSON. */
export interface SectionResult {
  figures: Figure[];
  detail: Record<string, unknown>;
}
