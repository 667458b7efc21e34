// A linearizability checker for etcd-style KV histories (put, get, delete, compare-and-set),
// written for the fault tests: record with HistoryRecorder, judge with checkHistory.
export { checkHistory, partitionByKey, type CheckResult, type Failure } from './checker.js';
export { HistoryRecorder, type History, type Operation } from './history.js';
export { applyKv, describeInput, describeOutput, INITIAL_STATE, type KvInput, type KvOutput, type KvState } from './kv-model.js';
export { MAX_SEARCH_STEPS, searchKey, type SearchOutcome } from './search.js';
export { checkWatches, type FinalRead, type WatchCheckInput, type WatchCheckResult, type WatchedEvent, type WatcherRecord, type WriteOutcome, type WriteRecord } from './watch-check.js';
