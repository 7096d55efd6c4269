/**
 * Every error a person can meet, each with a one-line message saying what happened, where, and
 * what to do. The CLI maps `_tag` to an exit code: bad input is 2, a failed job is 1.
 */
import { Data } from "effect"

/** The user gave us something we cannot use: a flag value, a file, an archive. Exit 2. */
export class BadInput extends Data.TaggedError("BadInput")<{
  readonly message: string
}> {}

/** A command needs a credential that is not configured. Exit 2. */
export class MissingCredential extends Data.TaggedError("MissingCredential")<{
  readonly variable: string
  readonly flag: string
}> {
  override get message() {
    return `${this.variable} is not set: export it (or pass ${this.flag}) and run again`
  }
}

/** An archive that cannot be vouched for: unreadable, truncated, foreign, or not matching its manifest. Exit 2. */
export class ArchiveCorrupt extends Data.TaggedError("ArchiveCorrupt")<{
  readonly archive: string
  /** Every problem found, one per entry; the message summarises them on one line. */
  readonly problems: ReadonlyArray<string>
}> {
  override get message() {
    const [first, ...rest] = this.problems
    const more = rest.length === 0 ? "" : ` (and ${rest.length} more problem${rest.length === 1 ? "" : "s"})`
    return `${this.archive}: ${first ?? "unreadable"}${more}; take a new backup before relying on it`
  }
}

/** Writing an archive failed (disk full, permission denied...). Nothing is left under the final name. Exit 1. */
export class ArchiveWriteFailed extends Data.TaggedError("ArchiveWriteFailed")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `could not write ${this.path}: ${this.reason}`
  }
}

/**
 * A service call failed for good: after retries, or with an answer that retrying cannot change.
 * `route` is the method and path template (never a URL with a credential in it).
 */
export class ServiceError extends Data.TaggedError("ServiceError")<{
  readonly service: string
  readonly route: string
  readonly reason:
    | "Unauthorized"
    | "Forbidden"
    | "NotFound"
    | "Conflict"
    | "Rejected"
    | "RateLimited"
    | "Unavailable"
    | "Unreachable"
  readonly status?: number
  readonly detail?: string
}> {
  override get message() {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    const detail = this.detail === undefined ? "" : `: ${this.detail}`
    return `${this.service} ${this.route} failed${status}, ${hints[this.reason]}${detail}`
  }
}

const hints: Record<ServiceError["reason"], string> = {
  Unauthorized: "the credential was refused; check that the key is current",
  Forbidden: "the credential may not do this",
  NotFound: "it does not exist or is not visible to this account",
  Conflict: "it already exists",
  Rejected: "the service refused the request",
  RateLimited: "the service kept answering 429 after every retry",
  Unavailable: "the service kept failing after every retry",
  Unreachable: "the service could not be reached after every retry"
}

/** A response that cannot be used at all: names the route and the offending field. */
export class ResponseInvalid extends Data.TaggedError("ResponseInvalid")<{
  readonly service: string
  readonly route: string
  readonly field: string
  readonly problem: string
}> {
  override get message() {
    return `${this.service} ${this.route} answered with an unusable response: ${this.field} ${this.problem}`
  }
}

export type ConnectorError = ServiceError | ResponseInvalid

/** A restore ran, but re-reading the target found entities of the archive missing (or doubled). Exit 1. */
export class RestoreIncomplete extends Data.TaggedError("RestoreIncomplete")<{
  readonly missing: number
  readonly first: string
}> {
  override get message() {
    return `the target does not match the archive: ${this.missing} entit${this.missing === 1 ? "y differs" : "ies differ"} (first: ${this.first}); run the same command again to finish a stopped restore`
  }
}

/** The service answered, and said no (a 4xx other than 429): retrying would not change it. */
export const isRefusal = (e: { readonly _tag: string }): e is ServiceError =>
  e instanceof ServiceError && e.reason !== "RateLimited" && e.reason !== "Unavailable" && e.reason !== "Unreachable"
