// The convergence property for one connector pair (each pair runs as its own test file so the
// three pairs run in parallel): whatever people do on both sides, under whatever faults, once
// the systems are quiet every ticket has exactly one twin, every mapped field agrees (or waits in
// the conflict inbox), every public comment crossed exactly once and no internal note leaked.
// Seeded: a failure prints its seed and path; replay with TB_PROPERTY_SEED and TB_PROPERTY_PATH.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PAIRS,
  runScenario,
  scenarioArbitrary,
  startPair,
  type Pair,
  type PairFixture,
  type ScenarioReport,
} from './scenario.js';

/** Scenarios per pair in `npm test`: 3 pairs x 100 = 300. */
const RUNS = Number(process.env.TB_PROPERTY_RUNS ?? 100);
const SEED = Number(process.env.TB_PROPERTY_SEED ?? 20261127);
const PATH = process.env.TB_PROPERTY_PATH;

export function describeConvergence(pair: Pair): void {
  describe(`convergence under faults: ${pair}`, () => {
    let fixture: PairFixture;
    const reports: ScenarioReport[] = [];
    beforeAll(async () => {
      fixture = await startPair(pair);
    });
    afterAll(async () => {
      await fixture?.stop();
      const sum = (k: keyof Omit<ScenarioReport, 'problems'>): number => reports.reduce((n, r) => n + r[k], 0);
      process.stdout.write(
        `${pair}: ${reports.length} scenarios, ${sum('ops')} operations, ${sum('tickets')} tickets, ${sum('faultsInjected')} faults injected; duplicates ${sum('duplicates')}, lost updates ${sum('lostUpdates')}, leaks ${sum('leaks')}\n`,
      );
    });

    const seed = SEED + PAIRS.indexOf(pair);
    it(`converges in ${RUNS} random scenarios (seed ${seed})`, async () => {
      const systems = Object.keys(fixture.config.systems).length;
      await fc.assert(
        fc.asyncProperty(scenarioArbitrary(systems), async (scenario) => {
          const report = await runScenario(fixture, scenario);
          reports.push(report);
          expect(report.problems).toEqual([]);
        }),
        { numRuns: RUNS, seed, ...(PATH ? { path: PATH } : {}), endOnFailure: true, verbose: 1 },
      );
    }, 3_600_000);
  });
}
