/** Who is calling: a company API key (admin rights), or a user's session / agent token. */
export type Actor =
  | { type: 'api_key'; companyId: number; apiKeyId: number }
  | {
      type: 'user'
      companyId: number
      userId: number
      role: 'admin' | 'agent'
      tokenId: number
      tokenKind: 'session' | 'agent'
    }
