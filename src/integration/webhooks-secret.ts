/** Vault context of a mapping's webhook secret: the sealed value opens only for its own mapping. */
export const webhookSecretContext = (mappingId: string): string =>
  `sync_mappings:${mappingId}:webhook_secret`;
