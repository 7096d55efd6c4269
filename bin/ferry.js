#!/usr/bin/env node
// The `ferry` bin: plain JS so that `npx ferry` works right after `npm install`, with no build step.
import { register } from "tsx/esm/api"

register()
await import("../pipelines/cli.ts")
