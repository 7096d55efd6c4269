#!/usr/bin/env node
// `npm run bench`: not part of `npm test`; prints requests, wall/floor, 429s and peak RSS.
import { register } from "tsx/esm/api"

register()
await import("../bench/run.ts")
