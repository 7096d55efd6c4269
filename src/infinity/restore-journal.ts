/**
 * The restore journal: what an Infinity restore is about to create where the service picks the
 * id (boards, comments, references, hooks, uploads, invites), and what each create became. A run
 * stopped between the two adopts the entity its intent made instead of creating another.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs"
import { dirname } from "node:path"
import { Effect } from "effect"
import { BadInput } from "../errors.ts"
import { asArray, isEntity, str } from "../shared/entity.ts"

export type JournalKind =
  | "board"
  | "comment"
  | "reference"
  | "hook"
  | "attachment"
  | "invite"
  // The id a create answered, where it differs from the one Ferry derived and sent.
  | "folder-id"
  | "attribute-id"
  | "view-id"
  | "item-id"

export interface JournalEntry {
  /** The last intent's "existed before" ids, while it has no result. */
  pending: ReadonlySet<string> | undefined
  result: string | undefined
}

/**
 * One line per event: `{"v":1,"op":"intent","workspace":"701","kind":"comment","source":"<id>",
 * "before":["<target id>",...]}` before a create is sent, `{"v":1,"op":"done",...,"target":"<id>"}`
 * once its answer is in. A line cut short (a kill while writing) is ignored when read back.
 */
export class Journal {
  private readonly entries = new Map<string, JournalEntry>()
  /** Target ids some source entity owns, per kind. */
  private readonly owned = new Set<string>()

  constructor(private readonly path: string | undefined) {}

  static load(path: string | undefined): Effect.Effect<Journal, BadInput> {
    return Effect.try({
      try: () => {
        const journal = new Journal(path)
        if (path === undefined || !existsSync(path)) return journal
        for (const line of readFileSync(path, "utf8").split("\n")) {
          if (line.trim() === "") continue
          let parsed: unknown
          try {
            parsed = JSON.parse(line)
          } catch {
            continue // cut short by a kill: nothing was sent after it
          }
          journal.apply(parsed)
        }
        return journal
      },
      catch: (e) => new BadInput({ message: `${path}: the restore journal cannot be read (${e instanceof Error ? e.message : String(e)})` })
    })
  }

  /** A copy that never writes to disk (`--dry-run` resolves in memory only). */
  dry(): Journal {
    const copy = new Journal(undefined)
    for (const [k, v] of this.entries) copy.entries.set(k, { ...v })
    for (const o of this.owned) copy.owned.add(o)
    return copy
  }

  private key(workspace: string, kind: JournalKind, source: string) {
    return `${workspace}\u0000${kind}\u0000${source}`
  }

  private apply(line: unknown) {
    if (!isEntity(line)) return
    const workspace = str(line["workspace"]), kind = str(line["kind"]) as JournalKind | undefined, source = str(line["source"])
    if (workspace === undefined || kind === undefined || source === undefined) return
    const key = this.key(workspace, kind, source)
    const entry = this.entries.get(key) ?? { pending: undefined, result: undefined }
    if (line["op"] === "intent") {
      entry.pending = new Set(asArray(line["before"]).map(String))
    } else if (line["op"] === "done" && line["target"] !== undefined) {
      entry.pending = undefined
      entry.result = String(line["target"])
      this.owned.add(`${workspace}\u0000${kind}\u0000${entry.result}`)
    }
    this.entries.set(key, entry)
  }

  entry(workspace: string, kind: JournalKind, source: string): JournalEntry | undefined {
    return this.entries.get(this.key(workspace, kind, source))
  }

  ownedBySome(workspace: string, kind: JournalKind, target: string) {
    return this.owned.has(`${workspace}\u0000${kind}\u0000${target}`)
  }

  private append(line: Record<string, unknown>): Effect.Effect<void, BadInput> {
    return Effect.try({
      try: () => {
        this.apply(line)
        if (this.path === undefined) return
        mkdirSync(dirname(this.path), { recursive: true })
        const fd = openSync(this.path, "a", 0o600)
        try {
          writeSync(fd, `${JSON.stringify(line)}\n`)
          fsyncSync(fd)
        } finally {
          closeSync(fd)
        }
      },
      catch: (e) => new BadInput({ message: `${this.path}: the restore journal cannot be written (${e instanceof Error ? e.message : String(e)})` })
    })
  }

  intent(workspace: string, kind: JournalKind, source: string, before: ReadonlyArray<string>) {
    return this.append({ v: 1, op: "intent", workspace, kind, source, before })
  }

  done(workspace: string, kind: JournalKind, source: string, target: string) {
    return this.append({ v: 1, op: "done", workspace, kind, source, target })
  }
}
