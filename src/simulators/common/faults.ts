// Fault injection shared by the three simulators: latency, error statuses, 429 bursts,
// connection resets and hangs on requests; drop, duplicate, delay and reorder on outbound
// webhooks; clock skew. All randomness comes from one seeded RNG, so a run is replayable.
import { z } from 'zod';
import { systemClock, type Clock } from '../../core/types.js';
import { createRng, type Rng } from './rng.js';

export const FaultPlan = z.strictObject({
  seed: z.number().int().default(1),
  latencyMs: z
    .strictObject({ min: z.number().min(0).default(0), max: z.number().min(0).default(0) })
    .default({ min: 0, max: 0 })
    .describe('Uniform added latency per request.'),
  /** Probability per request of answering with that HTTP status, e.g. { "503": 0.05 }. */
  errorRates: z.record(z.string().regex(/^\d{3}$/), z.number().min(0).max(1)).default({}),
  /** The next N requests answer 429 with this Retry-After. */
  burst429: z.strictObject({ count: z.number().int().min(0), retryAfterSec: z.number().min(0).default(1) }).optional(),
  /** Probability per request of destroying the socket without an answer. */
  resetRate: z.number().min(0).max(1).default(0),
  /** Probability per request of never answering (the client's timeout fires). */
  hangRate: z.number().min(0).max(1).default(0),
  /** Only requests whose path contains this string are faulted (all when unset). */
  pathFilter: z.string().optional(),
  webhooks: z
    .strictObject({
      dropRate: z.number().min(0).max(1).default(0),
      duplicateRate: z.number().min(0).max(1).default(0),
      delayMs: z.strictObject({ min: z.number().min(0), max: z.number().min(0) }).default({ min: 0, max: 0 }),
      /** Hold deliveries and send them in shuffled batches of this size. */
      reorderWindow: z.number().int().min(0).default(0),
    })
    .default({ dropRate: 0, duplicateRate: 0, delayMs: { min: 0, max: 0 }, reorderWindow: 0 }),
  /** The simulated system's clock runs this far ahead (+) or behind (-) real time. */
  clockSkewMs: z.number().int().default(0),
});
export type FaultPlan = z.infer<typeof FaultPlan>;
export type FaultPlanInput = z.input<typeof FaultPlan>;

export type RequestFault =
  | { kind: 'none'; delayMs: number }
  | { kind: 'status'; status: number; delayMs: number; retryAfterSec?: number }
  | { kind: 'reset'; delayMs: number }
  | { kind: 'hang' };

export interface FaultCounts {
  latency: number;
  status: Record<string, number>;
  rateLimited: number;
  resets: number;
  hangs: number;
  webhooksDropped: number;
  webhooksDuplicated: number;
  webhooksDelayed: number;
  webhooksReordered: number;
}

function emptyCounts(): FaultCounts {
  return {
    latency: 0,
    status: {},
    rateLimited: 0,
    resets: 0,
    hangs: 0,
    webhooksDropped: 0,
    webhooksDuplicated: 0,
    webhooksDelayed: 0,
    webhooksReordered: 0,
  };
}

export class FaultInjector {
  private plan: FaultPlan = FaultPlan.parse({});
  private rng: Rng = createRng(1);
  private burstLeft = 0;
  counts: FaultCounts = emptyCounts();

  /** `clock` is the simulated system's time source (tests pass one they advance instead of sleeping). */
  constructor(private readonly clock: Clock = systemClock) {}

  set(input: FaultPlanInput): FaultPlan {
    this.plan = FaultPlan.parse(input);
    this.rng = createRng(this.plan.seed);
    this.burstLeft = this.plan.burst429?.count ?? 0;
    return this.plan;
  }

  reset(): void {
    this.set({});
    this.counts = emptyCounts();
  }

  get current(): FaultPlan {
    return this.plan;
  }

  /** The simulated system's "now" (its clock plus the configured skew). */
  now(): number {
    return this.clock.now() + this.plan.clockSkewMs;
  }

  /** Decides what happens to one request. Control routes (`/__sim/`) are never faulted. */
  forRequest(path: string): RequestFault {
    const p = this.plan;
    if (path.startsWith('/__sim/')) return { kind: 'none', delayMs: 0 };
    if (p.pathFilter !== undefined && !path.includes(p.pathFilter)) return { kind: 'none', delayMs: 0 };
    const delayMs = p.latencyMs.max > 0 ? p.latencyMs.min + this.rng.next() * (p.latencyMs.max - p.latencyMs.min) : 0;
    if (delayMs > 0) this.counts.latency++;
    if (this.burstLeft > 0) {
      this.burstLeft--;
      this.counts.rateLimited++;
      return { kind: 'status', status: 429, delayMs, retryAfterSec: p.burst429?.retryAfterSec ?? 1 };
    }
    if (this.rng.chance(p.hangRate)) {
      this.counts.hangs++;
      return { kind: 'hang' };
    }
    if (this.rng.chance(p.resetRate)) {
      this.counts.resets++;
      return { kind: 'reset', delayMs };
    }
    for (const [status, rate] of Object.entries(p.errorRates)) {
      if (this.rng.chance(rate)) {
        this.counts.status[status] = (this.counts.status[status] ?? 0) + 1;
        if (status === '429') this.counts.rateLimited++;
        return status === '429'
          ? { kind: 'status', status: 429, delayMs, retryAfterSec: 1 }
          : { kind: 'status', status: Number(status), delayMs };
      }
    }
    return { kind: 'none', delayMs };
  }

  /** Decides how many copies of a webhook to send (0 = dropped) and after what delays. */
  forWebhook(): number[] {
    const w = this.plan.webhooks;
    if (this.rng.chance(w.dropRate)) {
      this.counts.webhooksDropped++;
      return [];
    }
    const delay = (): number => {
      if (w.delayMs.max <= 0) return 0;
      this.counts.webhooksDelayed++;
      return w.delayMs.min + this.rng.next() * (w.delayMs.max - w.delayMs.min);
    };
    const copies = [delay()];
    if (this.rng.chance(w.duplicateRate)) {
      this.counts.webhooksDuplicated++;
      copies.push(delay());
    }
    return copies;
  }

  get reorderWindow(): number {
    return this.plan.webhooks.reorderWindow;
  }

  shuffle<T>(items: T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    if (out.length > 1) this.counts.webhooksReordered++;
    return out;
  }
}
