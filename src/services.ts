/** Every service Ferry speaks, by name (like rclone's backend/all). */
import { infinityService } from "./infinity/service.ts"
import { kinopioService } from "./kinopio/service.ts"
import type { ServiceDefinition } from "./service.ts"

export const services = {
  kinopio: kinopioService,
  infinity: infinityService
} as const satisfies Record<string, ServiceDefinition>

export const serviceNames = Object.keys(services) as ReadonlyArray<keyof typeof services>
