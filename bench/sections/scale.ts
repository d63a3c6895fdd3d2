import type { BenchProfile, SectionResult } from './section';
export async function benchScale(_p: BenchProfile): Promise<SectionResult> {
  return { figures: [], detail: {} };
}
