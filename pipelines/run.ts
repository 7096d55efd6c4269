/**
 * Running a program as a process: one exit code per outcome and one line on standard error per
 * failure, as restic's main.go does. Used by `ferry` and `npm start` alike.
 */
import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Layer, Option, Predicate } from "effect"
import { RateBudgets } from "../src/shared/rate-budget.ts"

const badInput = new Set(["BadInput", "ArchiveCorrupt", "MissingCredential"])

export const exitCodeFor = (cause: Cause.Cause<unknown>): number => {
  if (Cause.isInterruptedOnly(cause)) return 130
  const e = Option.getOrUndefined(Cause.failureOption(cause))
  return ValidationError.isValidationError(e) || (Predicate.hasProperty(e, "_tag") && badInput.has(String(e._tag))) ? 2 : 1
}

/** The one stderr line for a failure, or nothing when @effect/cli already printed a usage error. */
export const lineFor = (cause: Cause.Cause<unknown>): string | undefined => {
  // Ctrl-C: finalizers have removed anything half-written; say so in one line, exit 130.
  if (Cause.isInterruptedOnly(cause)) return "ferry: interrupted"
  const e = Option.getOrElse(Cause.failureOption(cause), () => Cause.squash(cause))
  if (ValidationError.isValidationError(e)) return undefined
  const text = e instanceof Error && e.message !== "" ? e.message : String(Predicate.hasProperty(e, "_tag") ? e._tag : e)
  return `ferry: ${text.replace(/\s*\n\s*/g, " ")}`
}

export type ProcessServices = NodeContext.NodeContext | RateBudgets

export const runProcess = <E>(program: Effect.Effect<void, E, ProcessServices>) => {
  const main = Effect.flatMap(Effect.console, (c) =>
    program.pipe(
      // @effect/cli prints a usage error followed by a blank line; keep just the line.
      Effect.withConsole({ ...c, error: (...xs) => c.error(...xs.map((x) => (typeof x === "string" ? x.trimEnd() : x))) }),
      // onExit, not tapErrorCause: an interrupted fiber would be interrupted again before printing.
      Effect.onExit((exit) => {
        if (Exit.isSuccess(exit)) return Effect.void
        const text = process.env["FERRY_DEBUG"] === "1" ? Cause.pretty(exit.cause) : lineFor(exit.cause)
        return text === undefined ? Effect.void : Console.error(text)
      }),
      Effect.provide(Layer.merge(NodeContext.layer, RateBudgets.layer))
    ))
  NodeRuntime.runMain(main, {
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? 0 : exitCodeFor(exit.cause))
  })
}
