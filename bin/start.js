#!/usr/bin/env node
// `npm start`: back up the configured account, or rehearse on the embedded sandbox.
import { register } from "tsx/esm/api"

register()
await import("../pipelines/start.ts")
