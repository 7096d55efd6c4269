/**
 * What the CLI needs to know of a service to run it, like rclone's backend registration: its
 * credential and URL variables, the flags that narrow a backup, and how to build its source.
 * Pipelines look a service up here by name; they never branch on it.
 */
import type { HttpClient } from "@effect/platform"
import type { Effect, Layer, Redacted, Stream } from "effect"
import type { ArchiveCollections, BackupSource, RestoreTarget, ServiceName } from "./connector.ts"
import type { ArchiveCorrupt, BadInput, ConnectorError } from "./errors.ts"
import type { FeedDocument } from "./feeds/entry.ts"
import type { RateBudgets } from "./shared/rate-budget.ts"

export interface SourceConfig {
  readonly apiUrl: string
  readonly credential: Redacted.Redacted<string>
  /** Fraction of the documented rate limit (`--budget`). */
  readonly budget: number
  /** Only for a sandbox whose limit was raised (benchmarks). */
  readonly perSecond?: number
}

/** How a restore may write, beyond the account itself (contract: opt-in effects). */
export interface TargetOptions {
  /** The workspace to restore into, where the service has them. */
  readonly workspace?: string
  /** Re-create webhooks, which will fire at real endpoints. */
  readonly withHooks: boolean
  /** Invite the archive's members absent from the target, by e-mail. */
  readonly inviteMembers: boolean
  /**
   * Where a restore records its non-idempotent creates, so that a stopped run resumes without
   * duplicates. Only a service that picks ids itself needs one (Infinity); Kinopio keeps Ferry's.
   */
  readonly journal?: string
}

export interface ServiceDefinition {
  readonly name: ServiceName
  /** As people write it: "Kinopio". */
  readonly title: string
  readonly credentialVariable: string
  readonly urlVariable: string
  readonly defaultUrl: string
  /** Where a person finds the credential, for messages. */
  readonly credentialHint: string
  /** The flag that names the spaces or boards a backup is narrowed to. */
  readonly onlyFlag: "space" | "board"
  /** The flag that names workspaces, where the service has them. */
  readonly workspaceFlag?: "workspace"
  readonly source: (config: SourceConfig) => Layer.Layer<BackupSource, never, HttpClient.HttpClient | RateBudgets>
  /** The documented rate limit, for estimates. */
  readonly requestsPerSecond: number
  /** The variables naming a second account to write into (`*_TARGET_*`). */
  readonly targetCredentialVariable: string
  readonly targetUrlVariable: string
  /** The service as a restore target, where Ferry can restore into it. */
  readonly target?: (config: SourceConfig, options: TargetOptions) => Layer.Layer<RestoreTarget, never, HttpClient.HttpClient | RateBudgets>
  /** Whether restores take `--workspace`, `--with-hooks` and `--invite-members` (Infinity). */
  readonly targetHasWorkspaces: boolean
  /** The service's activity feeds (`ferry feed`, `backup --feeds`), where Ferry can build them. */
  readonly feeds?: FeedSupport
}

/** One space's or board's feed, asked for by id (`--space` / `--board`). */
export interface FeedRequest {
  readonly id: string
  /** The most entries the feed holds (`--limit`). */
  readonly limit: number
}

/** A feed `backup --feeds` publishes, with the id its folder is named after. */
export interface PublishedFeed {
  readonly id: string
  /**
   * Undefined for a space the archive shows private or removed: nothing is written for it, and
   * a feed an earlier run published for it is taken down.
   */
  readonly document: FeedDocument | undefined
}

/**
 * How a service turns its spaces or boards into neutral feed documents (src/feeds/entry.ts).
 * Each decides what may be published: a feed asked for by id is refused (`BadInput`) when the
 * credential cannot view it, or, from an archive, when the service marks it private or removed.
 */
export interface FeedSupport {
  /** From the live API, through the service's client and its shared rate budget only. */
  readonly live: (
    config: SourceConfig,
    request: FeedRequest
  ) => Effect.Effect<FeedDocument, ConnectorError | BadInput, HttpClient.HttpClient | RateBudgets>
  /** From an archive's data files, with no request at all. */
  readonly fromArchive: (archive: ArchiveCollections, request: FeedRequest) => Effect.Effect<FeedDocument, ArchiveCorrupt | BadInput>
  /**
   * Every feed of an archive that may be published as a static site: never a private or removed
   * space (those come with no document, so earlier copies are taken down); for a service
   * without a public flag, only what was `named` on the backup.
   */
  readonly publishable: (
    archive: ArchiveCollections,
    options: { readonly named: ReadonlyArray<string>; readonly limit: number }
  ) => Stream.Stream<PublishedFeed, ArchiveCorrupt | BadInput>
}
