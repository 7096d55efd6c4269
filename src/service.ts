/**
 * What the CLI needs to know of a service to run it, like rclone's backend registration: its
 * credential and URL variables, the flags that narrow a backup, and how to build its source.
 * Pipelines look a service up here by name; they never branch on it.
 */
import type { HttpClient } from "@effect/platform"
import type { Layer, Redacted } from "effect"
import type { BackupSource, RestoreTarget, ServiceName } from "./connector.ts"
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
  /** Where a restore records its non-idempotent creates, so that a stopped run resumes without duplicates. */
  readonly journal: string
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
}
