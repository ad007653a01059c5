/** The `ttp` heartbeat extras (ttp.md §9.1), plus what the worker adds for operators. */
export interface TtpCounters {
  inputs: number;
  duplicates: number;
  tags_written: number;
  suppressed: number;
  below_floor: number;
  rules_active: number;
  rules_invalid: number;
  rules_pending: number;
  lag_logs: number;
  lag_journal: number;
  state_groups: number;
  state_evicted: number;
  /** Rows or events that could not be projected into inputs. */
  invalid_inputs: number;
  /** Tags given their attacker id after they were written (§1.6). */
  linked: number;
}

export function emptyTtpCounters(): TtpCounters {
  return { inputs: 0, duplicates: 0, tags_written: 0, suppressed: 0, below_floor: 0, rules_active: 0, rules_invalid: 0, rules_pending: 0, lag_logs: 0, lag_journal: 0, state_groups: 0, state_evicted: 0, invalid_inputs: 0, linked: 0 };
}
