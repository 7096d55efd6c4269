/**
 * `ferry feed` and `backup --feeds`: a space's or board's activity as JSON Feed 1.1, RSS 2.0
 * or Atom 1.0, from the live API (through the service's client and its shared rate budget) or
 * from an archive with no request at all. The service decides what a feed holds and what may be
 * published (src/<service>/feed.ts); this pipeline never branches on a service's name.
 *
 * Files appear under their final names only when complete: each is written to a temporary name
 * in the same folder, then renamed.
 */
import { FetchHttpClient, FileSystem, Path } from "@effect/platform"
import { Effect, Redacted, Stream } from "effect"
import { writeAtomic } from "../src/archive/atomic-file.ts"
import { safeFileName } from "../src/archive/safe-name.ts"
import type { ServiceName } from "../src/connector.ts"
import { type ArchiveCorrupt, ArchiveWriteFailed, BadInput, type ConnectorError } from "../src/errors.ts"
import { FEED_FILES, FEED_FORMATS, type FeedDocument, type FeedFormat, scrubDocument } from "../src/feeds/entry.ts"
import { renderFeed } from "../src/feeds/render.ts"
import type { FeedRequest, FeedSupport, ServiceDefinition } from "../src/service.ts"
import { services } from "../src/services.ts"
import type { RateBudgets } from "../src/shared/rate-budget.ts"
import type { Credentials } from "./layers.ts"
import { archiveCollections } from "./restore.ts"
import { verifyArchive } from "./verify.ts"

export const feedSupport = (service: ServiceDefinition): Effect.Effect<FeedSupport, BadInput> =>
  service.feeds === undefined
    ? Effect.fail(new BadInput({ message: `feeds are not available for ${service.title}` }))
    : Effect.succeed(service.feeds)

/**
 * Live: the service's client on the given credential, paced by the process's budgets. Whatever
 * the service answered, the credential itself is scrubbed from every piece of text and URL.
 */
export const liveFeed = (
  service: ServiceDefinition,
  credentials: Credentials,
  budget: number,
  request: FeedRequest
): Effect.Effect<FeedDocument, ConnectorError | BadInput, RateBudgets> =>
  Effect.gen(function*() {
    const feeds = yield* feedSupport(service)
    const doc = yield* feeds.live({ apiUrl: credentials.apiUrl, credential: credentials.credential, budget }, request).pipe(
      Effect.provide(FetchHttpClient.layer)
    )
    return scrubDocument(doc, [Redacted.value(credentials.credential)])
  })

/**
 * From an archive: verified first (a corrupt, truncated or foreign archive stops here, exit 2),
 * then read. It must be an archive of the service asked for.
 */
export const archiveFeed = (
  service: ServiceDefinition,
  archive: string,
  request: FeedRequest
): Effect.Effect<FeedDocument, ArchiveCorrupt | BadInput, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const feeds = yield* feedSupport(service)
    const report = yield* verifyArchive(archive)
    if (report.service !== service.name) {
      return yield* new BadInput({ message: `${archive} is an archive of ${services[report.service].title}, not of ${service.title}` })
    }
    const collections = yield* archiveCollections(archive, report.service)
    return yield* feeds.fromArchive(collections, request)
  })

export interface FeedOutput {
  readonly format: FeedFormat
  /** A file to write; without it the feed goes to standard output. */
  readonly out?: string
}

/** The feed in one format, to a file (atomically) or to standard output. */
export const emitFeed = (doc: FeedDocument, output: FeedOutput) =>
  Effect.gen(function*() {
    const text = renderFeed(doc, output.format)
    if (output.out === undefined) {
      yield* Effect.async<void>((resume) => {
        process.stdout.write(text, () => resume(Effect.void))
      })
      return
    }
    yield* writeAtomic(output.out, text)
  })

export interface PublishRequest {
  readonly service: ServiceDefinition
  /** The archive just written. */
  readonly archive: string
  /** The root output folder: feeds go to `<out>/feeds/<service>/<id>/`. */
  readonly out: string
  /** The spaces or boards named on the backup (`--space` / `--board`). */
  readonly named: ReadonlyArray<string>
  readonly limit: number
}

export interface PublishSummary {
  readonly folder: string
  /** Ids whose three files were written. */
  readonly written: ReadonlyArray<string>
  /** Ids whose feeds an earlier run had published and that may no longer be (now private or removed). */
  readonly removed: ReadonlyArray<string>
}

/**
 * `backup --feeds`: every publishable feed of the archive just written, in the three formats,
 * under `<out>/feeds/<service>/<id>/{feed.json,rss.xml,atom.xml}`. No request is made.
 */
export const publishFeeds = (
  request: PublishRequest
): Effect.Effect<PublishSummary, ArchiveCorrupt | BadInput | ArchiveWriteFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const feeds = yield* feedSupport(request.service)
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const folder = path.join(request.out, "feeds", request.service.name)
    const collections = yield* archiveCollections(request.archive, request.service.name as ServiceName)
    const written: Array<string> = []
    const removed: Array<string> = []
    yield* feeds.publishable(collections, { named: request.named, limit: request.limit }).pipe(
      Stream.runForEach(({ document, id }) =>
        Effect.gen(function*() {
          // One path segment whatever the id holds.
          const dir = path.join(folder, safeFileName("", id, ""))
          if (document === undefined) {
            if (yield* fs.exists(dir).pipe(Effect.orElseSucceed(() => false))) {
              yield* fs.remove(dir, { recursive: true }).pipe(
                Effect.mapError((e) => new ArchiveWriteFailed({ path: dir, reason: e.message }))
              )
              removed.push(id)
            }
            return
          }
          for (const format of FEED_FORMATS) yield* writeAtomic(path.join(dir, FEED_FILES[format].name), renderFeed(document, format))
          written.push(id)
        })
      )
    )
    // After a backup of everything (no --space/--board), a feed folder not written now belongs to a
    // space that is gone (deleted, or no longer visible): it comes down too.
    if (request.named.length === 0 && written.length > 0) {
      const keep = new Set(written.map((id) => safeFileName("", id, "")))
      const present = yield* fs.readDirectory(folder).pipe(Effect.orElseSucceed(() => [] as Array<string>))
      for (const name of present) {
        if (keep.has(name) || name.startsWith(".")) continue
        yield* fs.remove(path.join(folder, name), { recursive: true }).pipe(
          Effect.mapError((e) => new ArchiveWriteFailed({ path: path.join(folder, name), reason: e.message }))
        )
        removed.push(name)
      }
    }
    return { folder, written, removed }
  })
