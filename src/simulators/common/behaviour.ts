// Switches for vendor behaviour the docs leave open: each simulator behaves as ticketbridge assumes
// by default, and `PUT /__sim/behaviour` flips a switch to the other reading, so a test (and
// `ticketbridge doctor`) can show what happens when a real system behaves the other way.
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';

export class Behaviour<S extends z.ZodObject> {
  current: z.infer<S>;

  /** `onChange` hands every new set of switches to whoever reads them (e.g. the store). */
  constructor(
    private readonly schema: S,
    private readonly onChange: (value: z.infer<S>) => void = () => undefined,
  ) {
    this.current = schema.parse({});
    onChange(this.current);
  }

  reset(): void {
    this.current = this.schema.parse({});
    this.onChange(this.current);
  }

  /** `GET /__sim/behaviour` answers the switches; `PUT` changes the ones given (400 on a typo). */
  register(app: FastifyInstance): void {
    app.get('/__sim/behaviour', async () => this.current);
    app.put('/__sim/behaviour', async (request, reply) => {
      const parsed = this.schema.partial().safeParse(request.body ?? {});
      if (!parsed.success)
        return reply
          .code(400)
          .send({ error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
      this.current = this.schema.parse({ ...this.current, ...parsed.data });
      this.onChange(this.current);
      return this.current;
    });
  }
}
