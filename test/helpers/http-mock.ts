// The one way tests use nock: all network disabled, an unmatched request fails the test, and so
// does a mock that was never used. Call `useHttpMock()` inside a describe block.
import nock from 'nock';
import { afterEach, beforeEach } from 'vitest';

export function useHttpMock(): void {
  const unmatched: string[] = [];
  const onNoMatch = (req: {
    method?: string;
    path?: string;
    options?: { method?: string; path?: string; host?: string };
  }): void => {
    unmatched.push(
      `${req.method ?? req.options?.method ?? '?'} ${req.options?.host ?? ''}${req.path ?? req.options?.path ?? ''}`,
    );
  };
  beforeEach(() => {
    unmatched.length = 0;
    nock.cleanAll();
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    if (unmatched.length > 0) throw new Error(`unmatched HTTP requests: ${unmatched.join(', ')}`);
    if (pending.length > 0) throw new Error(`unused HTTP mocks: ${pending.join(', ')}`);
  });
}

export { nock };
