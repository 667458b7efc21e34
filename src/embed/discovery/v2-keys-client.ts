// The few calls of etcd's v2 keys API that bootstrap discovery needs (a discovery
// service such as discovery.etcd.io, or any etcd with --enable-v2): get a key or a
// directory, create a key only if absent, and wait for the next change under a key.

export interface V2Node {
  key: string;
  value?: string;
  dir?: boolean;
  nodes?: V2Node[];
  createdIndex: number;
  modifiedIndex: number;
}

export interface V2Response {
  action: string;
  node: V2Node;
  /** X-Etcd-Index: the store's index when it answered. */
  index: number;
}

/** An error answered by the v2 API; prints as Go's client.Error does. */
export class V2Error extends Error {
  constructor(
    readonly errorCode: number,
    readonly errorMessage: string,
    readonly causeKey: string,
    readonly index: number,
  ) {
    super(`${errorCode}: ${errorMessage} (${causeKey}) [${index}]`);
    this.name = 'V2Error';
  }
}

export const V2_KEY_NOT_FOUND = 100;
export const V2_NODE_EXIST = 105;

export type FetchLike = (url: string, init?: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export class V2KeysClient {
  /** `base` is the discovery URL's scheme and host, e.g. http://127.0.0.1:2379. */
  constructor(
    private readonly base: string,
    private readonly fetchFn: FetchLike = fetch,
  ) {}

  get(key: string, opts: { recursive?: boolean; signal?: AbortSignal } = {}): Promise<V2Response> {
    return this.call('GET', key, opts.recursive ? { recursive: 'true' } : {}, undefined, opts.signal);
  }

  /** PUT with prevExist=false: fails with 105 "Key already exists" if the key is there. */
  create(key: string, value: string, signal?: AbortSignal): Promise<V2Response> {
    return this.call('PUT', key, { prevExist: 'false' }, `value=${encodeURIComponent(value)}`, signal);
  }

  /** Long-polls for the first change under `key` at or after `waitIndex`. */
  watch(key: string, waitIndex: number, signal?: AbortSignal): Promise<V2Response> {
    return this.call('GET', key, { wait: 'true', recursive: 'true', waitIndex: String(waitIndex) }, undefined, signal);
  }

  private async call(method: string, key: string, query: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<V2Response> {
    const q = new URLSearchParams(query).toString();
    const url = `${this.base}/v2/keys${key.startsWith('/') ? '' : '/'}${key}${q === '' ? '' : `?${q}`}`;
    const res = await this.fetchFn(url, {
      method,
      ...(body === undefined ? {} : { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      ...(signal ? { signal } : {}),
    });
    const text = await res.text();
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`discovery: unexpected response (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
    if (typeof json.errorCode === 'number') {
      throw new V2Error(json.errorCode, String(json.message ?? ''), String(json.cause ?? ''), Number(json.index ?? 0));
    }
    return { action: String(json.action ?? ''), node: json.node as V2Node, index: Number(res.headers.get('x-etcd-index') ?? 0) };
  }
}
