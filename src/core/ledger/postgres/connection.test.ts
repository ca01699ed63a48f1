import { describe, expect, it } from 'vitest';
import { describeTarget } from './connection.js';

describe('describeTarget', () => {
  it.each([
    ['postgres://tb:s3cret@db.internal:6432/tickets', 'db.internal:6432/tickets', 's3cret'],
    ['postgres://tb@127.0.0.1/tickets', '127.0.0.1:5432/tickets', null],
    ['postgres://postgres@/test?host=/var/run/postgresql', '/var/run/postgresql:5432/test', null],
    ['postgres://postgres:pw@/test?host=/run/postgresql&port=5433', '/run/postgresql:5433/test', 'pw'],
    ['host=db user=tb password=x', 'the configured PostgreSQL database', null],
  ])('names %s as %s, keeping the password only to scrub it', (url, label, secret) => {
    expect(describeTarget(url)).toEqual({ label, secret });
  });
});
