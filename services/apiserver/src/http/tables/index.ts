/**
 * Server-side Table printing for `kubectl get`: `wantsTable(accept)` decides, `toTable(...)`
 * builds the `meta.k8s.io/v1` Table with Kubernetes' printer columns for each kind, and
 * `watchTableEncoder(...)` does the same per watch event (headers on the first event only).
 * AGE cells use `humanDuration`, Kubernetes' `duration.HumanDuration`.
 */
export { type ColumnDefinition, columnsFor, defaultColumns, hasPrinter } from "./columns.js";
export { humanDuration, translateTimestampSince } from "./human-duration.js";
export { type PodStatusCells, podStatusCells, type RowCondition } from "./pod-status.js";
export { type Cell, type PrintedRow, printRow } from "./printers.js";
export {
  type IncludeObject,
  parseIncludeObject,
  type TableApiVersion,
  type TableMediaType,
  type TableOptions,
  toTable,
  wantsTable,
  watchTableEncoder,
} from "./table.js";
