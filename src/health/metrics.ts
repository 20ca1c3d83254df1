/**
 * Prometheus text exposition (format 0.0.4) for the few numbers an operator needs: queue depth by state,
 * job durations (a histogram), finished jobs and failures by code. No client library: a dozen lines of text.
 */
const buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface JobMetrics {
  finished(outcome: { ok: boolean; ms: number; code?: string }): void;
  /** The text for /metrics; `depth` is the queue's job count by state. */
  render(depth: Record<string, number> | null, extra?: Record<string, number>): string;
}

export function createJobMetrics(role: 'bot' | 'worker'): JobMetrics {
  const counts = new Array<number>(buckets.length).fill(0);
  let sum = 0;
  let total = 0;
  let completed = 0;
  const failures = new Map<string, number>();
  const label = (value: string) => value.replace(/["\\\n]/g, '_');
  return {
    finished({ ok, ms, code }) {
      const seconds = ms / 1000;
      for (let i = 0; i < buckets.length; i++) if (seconds <= buckets[i]) counts[i]++;
      sum += seconds;
      total++;
      if (ok) completed++;
      else failures.set(code ?? 'internal', (failures.get(code ?? 'internal') ?? 0) + 1);
    },
    render(depth, extra = {}) {
      const lines: string[] = [];
      lines.push('# HELP brushtalk_queue_jobs Jobs in the queue by state.', '# TYPE brushtalk_queue_jobs gauge');
      for (const [state, n] of Object.entries(depth ?? {})) lines.push(`brushtalk_queue_jobs{state="${label(state)}"} ${n}`);
      lines.push(`# HELP brushtalk_job_duration_seconds Time jobs took (${role === 'worker' ? 'run on this worker' : 'as this bot saw them'}).`, '# TYPE brushtalk_job_duration_seconds histogram');
      buckets.forEach((le, i) => lines.push(`brushtalk_job_duration_seconds_bucket{le="${le}"} ${counts[i]}`));
      lines.push(`brushtalk_job_duration_seconds_bucket{le="+Inf"} ${total}`, `brushtalk_job_duration_seconds_sum ${sum}`, `brushtalk_job_duration_seconds_count ${total}`);
      lines.push('# HELP brushtalk_jobs_completed_total Jobs finished successfully.', '# TYPE brushtalk_jobs_completed_total counter', `brushtalk_jobs_completed_total ${completed}`);
      lines.push('# HELP brushtalk_jobs_failed_total Job attempts that failed, by error code.', '# TYPE brushtalk_jobs_failed_total counter');
      if (failures.size === 0) lines.push('brushtalk_jobs_failed_total{code="none"} 0');
      for (const [code, n] of failures) lines.push(`brushtalk_jobs_failed_total{code="${label(code)}"} ${n}`);
      for (const [name, value] of Object.entries(extra)) lines.push(`# TYPE ${name} gauge`, `${name} ${value}`);
      return `${lines.join('\n')}\n`;
    },
  };
}
