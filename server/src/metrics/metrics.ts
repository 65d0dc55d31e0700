/**
 * Prometheus metrics in the text exposition format. A handful of counters and a latency
 * histogram do not justify a dependency; device states are read from the database on scrape.
 */
const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
/** Projection lag buckets: the 2 s target sits on a bucket edge. */
const LAG_BUCKETS_MS = [10, 50, 100, 250, 500, 1000, 2000, 5000, 10_000, 30_000];

export class Metrics {
  connected = 0;
  reportsAcked = 0;
  reportsRejected = 0;
  batches = 0;
  batchRows = 0;
  reportsProjectedTotal = 0;
  closes = new Map<number, number>();
  private lagBuckets = new Array(LAG_BUCKETS_MS.length + 1).fill(0);
  private lagSum = 0;
  private ackBuckets = new Array(BUCKETS_MS.length + 1).fill(0);
  private ackSum = 0;

  reportAcked(ms: number): void {
    this.reportsAcked++;
    this.ackSum += ms;
    let i = BUCKETS_MS.findIndex((b) => ms <= b);
    if (i < 0) i = BUCKETS_MS.length;
    this.ackBuckets[i]++;
  }
  reportRejected(): void {
    this.reportsRejected++;
  }
  connectionClosed(code: number): void {
    this.closes.set(code, (this.closes.get(code) ?? 0) + 1);
  }
  /** Reports applied by this process's projector, each with its lag (stored → applied, ms). */
  reportsProjected(lagsMs: number[]): void {
    for (const ms of lagsMs) {
      this.reportsProjectedTotal++;
      this.lagSum += ms;
      let i = LAG_BUCKETS_MS.findIndex((b) => ms <= b);
      if (i < 0) i = LAG_BUCKETS_MS.length;
      this.lagBuckets[i]++;
    }
  }
  batchCommitted(n: number): void {
    this.batches++;
    this.batchRows += n;
  }

  render(deviceStates: Record<string, number>): string {
    const out: string[] = [];
    const line = (name: string, help: string, type: string, samples: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) out.push(`${name}${labels} ${v}`);
    };
    line('posture_agents_connected', 'Agent sockets connected to this collector process', 'gauge', [['', this.connected]]);
    line('posture_reports_acked_total', 'Reports acknowledged after commit', 'counter', [['', this.reportsAcked]]);
    line('posture_reports_rejected_total', 'Reports refused (signature, schema, key)', 'counter', [['', this.reportsRejected]]);
    line('posture_ingest_batches_total', 'Ingest transactions committed', 'counter', [['', this.batches]]);
    line('posture_ingest_batch_rows_total', 'Reports in committed ingest transactions', 'counter', [['', this.batchRows]]);
    line('posture_agent_socket_closes_total', 'Agent sockets closed, by close code', 'counter', [...this.closes].map(([c, n]) => [`{code="${c}"}`, n] as [string, number]));
    out.push('# HELP posture_report_ack_latency_ms Time from report receipt to ack', '# TYPE posture_report_ack_latency_ms histogram');
    let cum = 0;
    BUCKETS_MS.forEach((b, i) => {
      cum += this.ackBuckets[i];
      out.push(`posture_report_ack_latency_ms_bucket{le="${b}"} ${cum}`);
    });
    cum += this.ackBuckets[BUCKETS_MS.length];
    out.push(`posture_report_ack_latency_ms_bucket{le="+Inf"} ${cum}`, `posture_report_ack_latency_ms_sum ${this.ackSum}`, `posture_report_ack_latency_ms_count ${cum}`);
    out.push('# HELP posture_projection_lag_ms Time from a report being stored to its state being applied by this process', '# TYPE posture_projection_lag_ms histogram');
    let lc = 0;
    LAG_BUCKETS_MS.forEach((b, i) => {
      lc += this.lagBuckets[i];
      out.push(`posture_projection_lag_ms_bucket{le="${b}"} ${lc}`);
    });
    lc += this.lagBuckets[LAG_BUCKETS_MS.length];
    out.push(`posture_projection_lag_ms_bucket{le="+Inf"} ${lc}`, `posture_projection_lag_ms_sum ${this.lagSum}`, `posture_projection_lag_ms_count ${lc}`);
    line('posture_devices', 'Devices by compliance state (fleet-wide)', 'gauge', Object.entries(deviceStates).map(([s, n]) => [`{state="${s}"}`, n] as [string, number]));
    return out.join('\n') + '\n';
  }
}
