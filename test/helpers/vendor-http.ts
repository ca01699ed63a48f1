// Plain HTTP clients for the Freshservice and ConnectWise simulators of a config, authenticated as
// the people in the tests are (the daemon's credentials, as the simulators accept them).
import axios, { type AxiosInstance } from 'axios';
import type { SystemConfig } from '../../src/mapping/schema.js';

type Of<K extends SystemConfig['kind']> = Extract<SystemConfig, { kind: K }>;

export function freshserviceHttp(fs: Of<'freshservice'>): AxiosInstance {
  return axios.create({ baseURL: `${fs.baseUrl}/api/v2`, auth: { username: fs.credentials.apiKey, password: 'X' } });
}

/** `headers` adds simulator headers, such as `x-sim-member` to act as one member. */
export function connectwiseHttp(cw: Of<'connectwise'>, headers: Record<string, string> = {}): AxiosInstance {
  const c = cw.credentials;
  return axios.create({
    baseURL: `${cw.baseUrl}/v4_6_release/apis/3.0`,
    auth: { username: `${c.company}+${c.publicKey}`, password: c.privateKey },
    headers: { clientId: c.clientId, ...headers },
  });
}
