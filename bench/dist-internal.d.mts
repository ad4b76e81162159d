// Types of the two @internal exports of dist/map.js that bench/maps.mjs
// imports (its ours-core peer calls the core directly): the emitted
// dist/map.d.ts leaves @internal declarations out (tsconfig.build.json:
// stripInternal). Declared here, as in src/map.ts, for tsconfig.js.json.
import type { GoMap } from "../dist/map.js";
import type { MapOps } from "../dist/boundary.js";

declare module "../dist/map.js" {
  /** The hmap address of a live map (throws UseAfterFreeError). */
  export function mapHandle(m: GoMap): number;
  /** The core's per-shape exports of a live map. */
  export function mapOps(m: GoMap): MapOps;
}
