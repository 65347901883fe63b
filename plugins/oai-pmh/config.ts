import { z } from 'zod';

const SET_SPEC = /^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$/;

/** A publishing set defined by a filter (Alma's publishing profiles), beside the collection sets. */
export const publishingSet = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Titles in any of these collections (codes), or in their sub-collections. */
  collections: z.array(z.string()).optional(),
  /** Only titles with (true) or without (false) an active representation. */
  hasActiveRepresentation: z.boolean().optional(),
  /** Only titles with an active representation of this usage type. */
  usageType: z.enum(['primary', 'derivative']).optional(),
  /** Titles in the format of their source record. */
  sourceFormat: z.enum(['marc21', 'dc', 'mods']).optional(),
});
export type PublishingSet = z.infer<typeof publishingSet>;

/** oai-pmh settings. */
export const oaiConfig = z.strictObject({
  /** Path of the endpoint; baseURL is server.baseUrl + path. */
  path: z.string().regex(/^\/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$/).default('/oai'),
  /** The repositoryIdentifier of oai-identifiers (a domain name you control); default: the host of server.baseUrl. */
  repositoryIdentifier: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$/, 'a domain name, e.g. repository.example.org')
    .optional(),
  /** Which titles are published: only those with an active representation (as Alma does), or all. */
  publish: z.enum(['with-representation', 'all']).default('with-representation'),
  /** Records (or headers) per page of ListRecords / ListIdentifiers, and sets per page of ListSets. */
  pageSize: z.number().int().min(1).max(5000).default(100),
  identifiersPageSize: z.number().int().min(1).max(10000).default(500),
  /** How long a resumption token stays valid (at least 24 h, as harvesters expect). */
  tokenTtlHours: z.number().min(24).max(24 * 30).default(48),
  /** Requests served at once; more get 503 with Retry-After. */
  maxConcurrent: z.number().int().min(1).default(8),
  retryAfterSeconds: z.number().int().min(1).default(10),
  /** Named publishing sets by setSpec (must not clash with a collection path). */
  sets: z.record(z.string().regex(SET_SPEC, 'an OAI-PMH setSpec'), publishingSet).default({}),
});
export type OaiConfig = z.infer<typeof oaiConfig>;
