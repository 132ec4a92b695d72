// @alicloud/pop-core ships no types; this is the part the interop tests use.
declare module '@alicloud/pop-core' {
  interface RPCClientConfig {
    accessKeyId: string;
    accessKeySecret: string;
    securityToken?: string;
    endpoint: string;
    apiVersion: string;
  }
  class RPCClient {
    constructor(config: RPCClientConfig);
    request<T = Record<string, unknown>>(
      action: string,
      params: Record<string, unknown>,
      options?: { method?: 'GET' | 'POST'; timeout?: number },
    ): Promise<T>;
  }
  export default RPCClient;
}
