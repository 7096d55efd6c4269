/**
 * The boundary between pipelines and services, like rclone's `Fs`: a pipeline asks for a
 * `Source`, never for a service by name. A third service implements this and nothing else.
 */
import { Context, type Effect, type Stream } from "effect"
import type { IndexedArchive, IndexSpec } from "./archive/indexed.ts"
import type { ArchiveCorrupt, BadInput, ConnectorError } from "./errors.ts"
import type { BodyInterrupted } from "./shared/http.ts"
import type { BudgetStats } from "./shared/rate-budget.ts"

export type ServiceName = "kinopio" | "infinity"

/** One entity exactly as the service returned it, every field kept (plus context keys Ferry adds). */
export type Entity = Readonly<Record<string, unknown>>

/** What a backup stream yields; the archive writer routes each part to its file. */
export type BackupPart =
  /** Lines for `data/<collection>.jsonl`, in the order received. */
  | { readonly _tag: "Entities"; readonly collection: string; readonly entities: ReadonlyArray<Entity> }
  /** A finished human-readable document, e.g. `markdown/<safe name>-<id>.md`. */
  | { readonly _tag: "Document"; readonly path: string; readonly content: string }
  /**
   * A file's bytes for `path` (e.g. `attachments/<id>/<name>`): the source fetches them into
   * the sink the pipeline hands it, and runs the sink again from the start if the transfer
   * breaks off, so the sink must undo a partial write when it fails. (Bytes copied from a
   * previous archive fail with `ArchiveCorrupt` if it cannot be read back.)
   */
  | {
    readonly _tag: "File"
    readonly path: string
    readonly write: <E>(
      sink: (bytes: Stream.Stream<Uint8Array, BodyInterrupted | ArchiveCorrupt>) => Effect.Effect<void, E | BodyInterrupted | ArchiveCorrupt>
    ) => Effect.Effect<void, E | ConnectorError | ArchiveCorrupt>
  }
  /** Something kept verbatim but not as documented, or skipped; reported, never fatal. */
  | { readonly _tag: "Warning"; readonly message: string }
  /**
   * A unit copied from the previous archive instead of fetched (unchanged since): its kind
   * ("spaces", "attachments"), its id, and how many lines of each data file came with it.
   */
  | {
    readonly _tag: "Carried"
    readonly kind: string
    readonly id: string
    readonly lines: Readonly<Record<string, number>>
  }
  /**
   * A unit this archive holds only in part (a space kept as its listing summary): the next
   * incremental backup must fetch it again, never copy it.
   */
  | { readonly _tag: "FetchAgain"; readonly kind: string; readonly id: string }
  /** How far the backup is, in the unit a person counts (spaces, boards). */
  | { readonly _tag: "Progress"; readonly unit: string; readonly done: number; readonly total: number }

export interface BackupOptions {
  /** Restrict to these space / board ids (empty: everything the account can see). */
  readonly only: ReadonlyArray<string>
  /** Restrict to these workspaces, where the service has them (empty: all). */
  readonly workspaces: ReadonlyArray<string>
  /**
   * The newest earlier archive of the same account, opened as the source's `carryOver` asked:
   * what provably has not changed since is copied from it instead of fetched. Absent: a full backup.
   */
  readonly previous?: IndexedArchive
}

/** A service as a backup source. */
export interface Source {
  readonly service: ServiceName
  /** The API base URL, for the manifest (never carries a credential). */
  readonly apiUrl: string
  /** Every data file of this service's archive, in a stable order; each is written even when empty. */
  readonly collections: ReadonlyArray<string>
  /** The account backed up (user or workspace id), asked once and remembered. */
  readonly account: Effect.Effect<string, ConnectorError>
  /** What this source can copy from a previous archive; absent: it always fetches everything. */
  readonly carryOver?: IndexSpec
  /** What this source's credential has spent so far (shared with any other job on the same credential). */
  readonly stats: Effect.Effect<BudgetStats>
  /** Everything the account can see, as parts; memory stays flat however large the account. */
  readonly backup: (options: BackupOptions) => Stream.Stream<BackupPart, ConnectorError | ArchiveCorrupt>
}

export class BackupSource extends Context.Tag("ferry/BackupSource")<BackupSource, Source>() {}

/** An archive's data files read back, one collection at a time, as streams. */
export interface ArchiveCollections {
  readonly service: ServiceName
  readonly read: (collection: string) => Stream.Stream<Entity, ArchiveCorrupt | BadInput>
  /** The bytes of another archive member (e.g. `attachments/<id>/<name>`); `ArchiveCorrupt` when absent. */
  readonly readFile?: (path: string) => Stream.Stream<Uint8Array, ArchiveCorrupt | BadInput>
}

/** Something of the archive a target cannot hold, said instead of dropped. */
export interface NotRestored {
  readonly collection: string
  /** The entity's id, or "*" for the whole collection. */
  readonly id: string
  readonly field: string
  readonly reason: string
}

export interface RestoreStepPlan {
  readonly collection: string
  /** Created, or (for entities removed in the archive) created, then removed. */
  readonly action: "create" | "remove"
  /** Entities this step creates (or removes, for a removal step). */
  readonly entities: number
  readonly requests: number
}

/** What a restore will do, decided before any write (`--dry-run` prints it). */
export interface RestorePlan {
  readonly steps: ReadonlyArray<RestoreStepPlan>
  readonly notRestored: ReadonlyArray<NotRestored>
  /** Requests in all, reads included. */
  readonly requests: number
}

export type RestoreEvent =
  | { readonly _tag: "Progress"; readonly unit: string; readonly done: number; readonly total: number }
  | { readonly _tag: "Warning"; readonly message: string }
  /**
   * A secret the service made for the person (a re-created webhook's): shown once on a terminal,
   * never written to a file, a log or a summary.
   */
  | { readonly _tag: "Secret"; readonly label: string; readonly value: string }
  /** Entities created by this run, and those found already there (a run that was stopped before). */
  | { readonly _tag: "Done"; readonly collection: string; readonly created: number; readonly existing: number }

/** A service as a restore target. */
export interface Target {
  readonly service: ServiceName
  readonly apiUrl: string
  readonly stats: Effect.Effect<BudgetStats>
  /** The account restored into (its user or workspace id). */
  readonly account: Effect.Effect<string, ConnectorError>
  /** Reads what the target already holds of this archive; writes nothing. */
  readonly plan: (archive: ArchiveCollections) => Effect.Effect<RestorePlan, ConnectorError | ArchiveCorrupt | BadInput>
  /** Creates, in dependency order, what the target lacks; a second run creates nothing twice. */
  readonly restore: (archive: ArchiveCollections) => Stream.Stream<RestoreEvent, ConnectorError | ArchiveCorrupt | BadInput>
  /** Re-reads the target and lists every difference from the archive, modulo ids. */
  readonly check: (archive: ArchiveCollections) => Effect.Effect<ReadonlyArray<string>, ConnectorError | ArchiveCorrupt | BadInput>
}

export class RestoreTarget extends Context.Tag("ferry/RestoreTarget")<RestoreTarget, Target>() {}
