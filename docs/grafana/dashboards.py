#!/usr/bin/env python3
# Writes docs/grafana/smooth-streaming.json and resource-usage.json:
#   python3 docs/grafana/dashboards.py docs/grafana
# Edit the dashboards here, run it, commit both; tests/monitor checks that
# the JSON is what this writes and that every query returns data.
import json, sys
DS = {"type": "prometheus", "uid": "${datasource}"}
I = 'instance=~"$instance"'
RI = '$__rate_interval'

def templating():
    return {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource",
         "query": "prometheus", "current": {}, "hide": 0, "refresh": 1,
         "regex": "", "includeAll": False, "multi": False, "options": []},
        {"name": "instance", "label": "Server", "type": "query", "datasource": DS,
         "definition": "label_values(auralis_uptime_seconds, instance)",
         "query": {"query": "label_values(auralis_uptime_seconds, instance)", "refId": "instance"},
         "includeAll": True, "multi": True, "allValue": ".*",
         "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
         "refresh": 2, "sort": 1, "hide": 0, "options": [], "regex": ""},
    ]}

class Dash:
    def __init__(s):
        s.panels = []; s.y = 0; s.x = 0; s.rowh = 0; s.id = 0
    def row(s, title):
        s.newline()
        s.id += 1
        s.panels.append({"type": "row", "title": title, "id": s.id, "collapsed": False,
                         "gridPos": {"h": 1, "w": 24, "x": 0, "y": s.y}, "panels": []})
        s.y += 1
    def newline(s):
        if s.x: s.y += s.rowh; s.x = 0; s.rowh = 0
    def add(s, title, desc, targets, unit="short", kind="timeseries", w=8, h=8, extra=None, fc=None):
        if s.x + w > 24: s.newline()
        s.id += 1
        p = {"id": s.id, "type": kind, "title": title, "description": desc, "datasource": DS,
             "gridPos": {"h": h, "w": w, "x": s.x, "y": s.y},
             "targets": [dict({"datasource": DS, "expr": e, "legendFormat": l, "refId": chr(65+i),
                               "range": True, "instant": False}, **({"format": "heatmap"} if kind == "heatmap" else {}))
                         for i, (e, l) in enumerate(targets)],
             "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}
        if kind == "timeseries":
            p["fieldConfig"]["defaults"]["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": True}
            p["options"] = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}, "tooltip": {"mode": "multi", "sort": "desc"}}
        if kind == "stat":
            p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value", "graphMode": "area", "textMode": "auto", "orientation": "auto", "justifyMode": "auto"}
        if kind == "heatmap":
            p["options"] = {"calculate": False, "yAxis": {"unit": unit}, "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges", "exponent": 0.5, "fill": "dark-orange", "steps": 64}, "tooltip": {"show": True, "yHistogram": False}, "legend": {"show": True}}
            for t in p["targets"]: t["legendFormat"] = "{{le}}"
        if fc: p["fieldConfig"]["defaults"].update(fc)
        if extra: p.update(extra)
        s.panels.append(p)
        s.x += w; s.rowh = max(s.rowh, h)
    def dump(s, uid, title, desc, tags, path):
        d = {"__requires": [{"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
                            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "9.0.0"}],
             "uid": uid, "title": title, "description": desc, "tags": tags, "timezone": "browser",
             "editable": True, "graphTooltip": 1, "schemaVersion": 37, "version": 1, "refresh": "30s",
             "time": {"from": "now-3h", "to": "now"}, "timepicker": {}, "fiscalYearStartMonth": 0,
             "liveNow": False, "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
             "links": [], "templating": templating(), "panels": s.panels}
        with open(path, "w") as f: json.dump(d, f, indent=2); f.write("\n")

def q(h, qs, sel=I):
    return [(f'histogram_quantile({x}, sum by (le) (rate({h}_bucket{{{sel}}}[{RI}])))', f'p{int(x*100)}') for x in qs]

out = sys.argv[1]
# ------------------------------------------------------------ smooth streaming
d = Dash()
d.row("Now")
d.add("Listeners", "Listeners connected now (auralis_listeners).", [(f'sum(auralis_listeners{{{I}}})', "listeners")], kind="stat", w=4, h=4)
d.add("Streams", "Personal streams and stations being rendered (auralis_streams).", [(f'sum(auralis_streams{{{I}}})', "streams")], kind="stat", w=4, h=4)
d.add("Chunks dropped", "Share of chunks skipped for listeners more than 2 s behind (auralis_chunks_dropped_total / auralis_chunks_sent_total). Alert: AuralisChunksDropped above 0.1%.",
      [(f'sum(rate(auralis_chunks_dropped_total{{{I}}}[{RI}])) / clamp_min(sum(rate(auralis_chunks_sent_total{{{I}}}[{RI}])), 1)', "dropped")], unit="percentunit", kind="stat", w=4, h=4)
d.add("Reports with underruns", "Share of players' client_stats reports that carry new underruns (auralis_client_underruns_per_report). Alert: AuralisClientUnderruns above 5%.",
      [(f'1 - sum(rate(auralis_client_underruns_per_report_bucket{{{I},le="0"}}[{RI}])) / clamp_min(sum(rate(auralis_client_underruns_per_report_count{{{I}}}[{RI}])), 1e-9)', "with underruns")], unit="percentunit", kind="stat", w=4, h=4)
d.add("Worst render lag", "How far the worst stream is behind real time now (auralis_render_lag_max_seconds). Alert: AuralisRenderLag above 0.5 s.",
      [(f'max(auralis_render_lag_max_seconds{{{I}}})', "lag")], unit="s", kind="stat", w=4, h=4)
d.add("Send jitter p99", "99th percentile of send time minus due time (auralis_send_jitter_seconds).",
      q("auralis_send_jitter_seconds", [0.99])[:1], unit="s", kind="stat", w=4, h=4)
d.row("Listeners")
d.add("Listeners by transport", "auralis_transport_listeners by its transport label (websocket; HTTP and HLS streams add theirs). Alert: AuralisListenerLoss when half leave at once.",
      [(f'sum by (transport) (auralis_transport_listeners{{{I}}})', "{{transport}}")], w=8)
d.add("Streams by kind", "Personal streams and stations (auralis_streams{kind}).",
      [(f'sum by (kind) (auralis_streams{{{I}}})', "{{kind}}")], w=8)
d.add("Connections", "Accepted and refused upgrades per second (auralis_connections_total, auralis_connections_rejected_total{reason}: full = --max-clients reached), and connections refused at accept (auralis_connections_refused_total{reason}: per_address = one address holds too many).",
      [(f'sum(rate(auralis_connections_total{{{I}}}[{RI}]))', "accepted"),
       (f'sum by (reason) (rate(auralis_connections_rejected_total{{{I}}}[{RI}]))', "upgrade refused: {{reason}}"),
       (f'sum by (reason) (rate(auralis_connections_refused_total{{{I}}}[{RI}]))', "connection refused: {{reason}}")], unit="reqps", w=8)
d.add("Stream budget", "Streams rendered against the budget (auralis_streams, auralis_max_streams: --max-streams), and new streams refused per second by reason (auralis_streams_refused_total{reason}: capacity = budget spent, per_address = one address started too many). Alert: AuralisStreamBudgetSpent.",
      [(f'sum(auralis_streams{{{I}}})', "streams"),
       (f'sum(auralis_max_streams{{{I}}})', "budget"),
       (f'sum by (reason) (rate(auralis_streams_refused_total{{{I}}}[{RI}]))', "refused/s: {{reason}}")], w=8,
      extra={"fieldConfig": {"defaults": {"unit": "short", "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": True}},
                       "overrides": [{"matcher": {"id": "byRegexp", "options": "refused.*"}, "properties": [{"id": "unit", "value": "reqps"}, {"id": "custom.axisPlacement", "value": "right"}]}]}})
d.row("Delivery")
d.add("Send jitter", "Send time minus due time of each chunk to each listener (auralis_send_jitter_seconds), p50/p99/p99.9. Alert: AuralisSendJitterHigh (p99 above 50 ms).",
      q("auralis_send_jitter_seconds", [0.5, 0.99, 0.999]), unit="s", w=8)
d.add("Chunks sent and dropped", "Chunks sent per second and chunks skipped for slow listeners (auralis_chunks_sent_total, auralis_chunks_dropped_total); listeners closed with 1013 (auralis_slow_listeners_closed_total).",
      [(f'sum(rate(auralis_chunks_sent_total{{{I}}}[{RI}]))', "sent/s"),
       (f'sum(rate(auralis_chunks_dropped_total{{{I}}}[{RI}]))', "dropped/s"),
       (f'sum(rate(auralis_slow_listeners_closed_total{{{I}}}[{RI}]))', "slow closed/s")], unit="short", w=8)
d.add("Render lag", "Streams behind real time: the worst now (auralis_render_lag_max_seconds), how many (auralis_streams_behind), and the p99 of per-chunk lag (auralis_render_lag_seconds).",
      [(f'max(auralis_render_lag_max_seconds{{{I}}})', "worst stream now"),
       (f'histogram_quantile(0.99, sum by (le) (rate(auralis_render_lag_seconds_bucket{{{I}}}[{RI}])))', "p99 per chunk"),
       (f'sum(auralis_streams_behind{{{I}}})', "streams behind")], unit="s", w=8,
      fc=None, extra={"fieldConfig": {"defaults": {"unit": "s", "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": True}},
                       "overrides": [{"matcher": {"id": "byName", "options": "streams behind"}, "properties": [{"id": "unit", "value": "short"}, {"id": "custom.axisPlacement", "value": "right"}]}]}})
d.add("HLS and Icecast outputs", "Stations with an HLS output and Icecast mounts connected (auralis_hls_outputs, auralis_icecast_connected); HLS segments served per second (auralis_hls_segments_served_total); chunks the HLS encoder or Icecast publisher could not take (auralis_hls_chunks_dropped_total, auralis_icecast_chunks_dropped_total); Icecast connections lost or refused (auralis_icecast_failures_total).",
      [(f'sum(auralis_hls_outputs{{{I}}})', "HLS outputs"),
       (f'sum(auralis_icecast_connected{{{I}}})', "Icecast connected"),
       (f'sum(rate(auralis_hls_segments_served_total{{{I}}}[{RI}]))', "HLS segments served/s"),
       (f'sum(rate(auralis_hls_chunks_dropped_total{{{I}}}[{RI}])) + sum(rate(auralis_icecast_chunks_dropped_total{{{I}}}[{RI}]))', "output chunks dropped/s"),
       (f'sum(rate(auralis_icecast_failures_total{{{I}}}[{RI}]))', "Icecast failures/s")], w=24, h=7)
d.row("What players report")
d.add("Client buffer depth", "Buffer depth the players report in client_stats (auralis_client_buffer_seconds): p10 is the listeners closest to an underrun.",
      q("auralis_client_buffer_seconds", [0.1, 0.5, 0.9]), unit="s", w=8)
d.add("Client buffer depth (heatmap)", "Distribution of reported buffer depth over time (auralis_client_buffer_seconds buckets).",
      [(f'sum by (le) (increase(auralis_client_buffer_seconds_bucket{{{I}}}[{RI}]))', "{{le}}")], unit="s", kind="heatmap", w=8)
d.add("Client jitter", "Arrival jitter each player measures and reports (auralis_client_jitter_seconds), p50/p90/p99 across listeners.",
      q("auralis_client_jitter_seconds", [0.5, 0.9, 0.99]), unit="s", w=8)
d.add("Underruns", "Underruns players report, per minute (auralis_client_underruns_total), and the share of reports with new underruns (auralis_client_underruns_per_report).",
      [(f'sum(rate(auralis_client_underruns_total{{{I}}}[{RI}])) * 60', "underruns/min"),
       (f'1 - sum(rate(auralis_client_underruns_per_report_bucket{{{I},le="0"}}[{RI}])) / clamp_min(sum(rate(auralis_client_underruns_per_report_count{{{I}}}[{RI}])), 1e-9)', "reports with underruns")], w=12,
      extra={"fieldConfig": {"defaults": {"unit": "short", "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": True}},
                       "overrides": [{"matcher": {"id": "byName", "options": "reports with underruns"}, "properties": [{"id": "unit", "value": "percentunit"}, {"id": "custom.axisPlacement", "value": "right"}]}]}})
d.add("Control messages", "Client messages per second by result (auralis_control_messages_total{result}): set/ping/client_stats accepted, and what was refused.",
      [(f'sum by (result) (rate(auralis_control_messages_total{{{I}}}[{RI}]))', "{{result}}")], unit="reqps", w=12)
d.dump("auralis-smooth-streaming", "Auralis: smooth streaming",
       "Jitter, buffer health, underruns, drops, listeners and render lag of Auralis servers (docs/operations.md).",
       ["auralis"], f"{out}/smooth-streaming.json")

# ------------------------------------------------------------ resource usage
d = Dash()
d.row("Now")
d.add("CPU", "CPU time per second of wall time (auralis_cpu_seconds_total): 1 = one core busy.",
      [(f'sum(rate(auralis_cpu_seconds_total{{{I}}}[{RI}]))', "cores")], unit="short", kind="stat", w=4, h=4)
d.add("Resident memory", "Resident set size (auralis_resident_memory_bytes).",
      [(f'sum(auralis_resident_memory_bytes{{{I}}})', "RSS")], unit="bytes", kind="stat", w=4, h=4)
d.add("RSS slope (server)", "The server's leak detector: least-squares slope of RSS over up to 24 h of 5 s samples (auralis_rss_slope_bytes_per_hour). Meaningful once its window holds an hour. Alert: AuralisMemoryLeakReported above 20 MB/h.",
      [(f'max(auralis_rss_slope_bytes_per_hour{{{I}}})', "slope")], unit="bytes", kind="stat", w=4, h=4, fc={"decimals": 1})
d.add("Slope window", "Time the server's slope is fitted over (auralis_rss_slope_window_seconds); the warning needs an hour.",
      [(f'min(auralis_rss_slope_window_seconds{{{I}}})', "window")], unit="s", kind="stat", w=4, h=4)
d.add("Open file descriptors", "Open descriptors as a share of the limit (auralis_open_fds / auralis_max_fds). Alert: AuralisFileDescriptorsNearLimit above 90%.",
      [(f'max(auralis_open_fds{{{I}}} / (auralis_max_fds{{{I}}} > 0))', "used")], unit="percentunit", kind="stat", w=4, h=4)
d.add("Uptime", "Seconds since the server started (auralis_uptime_seconds).",
      [(f'min(auralis_uptime_seconds{{{I}}})', "uptime")], unit="s", kind="stat", w=4, h=4)
d.row("CPU and synthesis")
d.add("CPU", "CPU cores used (auralis_cpu_seconds_total) and render threads busy (auralis_render_seconds_sum per second over auralis_render_workers).",
      [(f'sum by (instance) (rate(auralis_cpu_seconds_total{{{I}}}[{RI}]))', "{{instance}} cores"),
       (f'sum by (instance) (rate(auralis_render_seconds_sum{{{I}}}[{RI}])) / sum by (instance) (auralis_render_workers{{{I}}})', "{{instance}} render busy (share of workers)")], unit="short", w=8)
d.add("Render time per chunk", "Time to render and convert one 100 ms chunk (auralis_render_seconds): p50/p99/max bucket; a chunk must be ready 45 ms after its render starts.",
      q("auralis_render_seconds", [0.5, 0.99, 0.999]) + [(f'sum(rate(auralis_render_seconds_sum{{{I}}}[{RI}])) / clamp_min(sum(rate(auralis_render_seconds_count{{{I}}}[{RI}])), 1e-9)', "mean")], unit="s", w=8)
d.add("Throughput", "Chunks rendered and phrases composed per second (auralis_chunks_rendered_total, auralis_phrases_composed_total); chunks finished late (auralis_render_late_total).",
      [(f'sum(rate(auralis_chunks_rendered_total{{{I}}}[{RI}]))', "chunks/s"),
       (f'sum(rate(auralis_phrases_composed_total{{{I}}}[{RI}]))', "phrases/s"),
       (f'sum(rate(auralis_render_late_total{{{I}}}[{RI}]))', "late chunks/s")], unit="short", w=8)
d.row("Memory")
d.add("Resident memory", "RSS of each server (auralis_resident_memory_bytes) and the line Prometheus predicts for 24 h ahead from the last 6 h (predict_linear).",
      [(f'auralis_resident_memory_bytes{{{I}}}', "{{instance}} RSS"),
       (f'predict_linear(auralis_resident_memory_bytes{{{I}}}[6h], 86400)', "{{instance}} in 24 h at this rate")], unit="bytes", w=8)
d.add("RSS slope", "Growth of RSS per hour: the server's own fit over up to 24 h (auralis_rss_slope_bytes_per_hour) and over the newest half of that window (auralis_rss_slope_recent_bytes_per_hour: a start-up ramp leaves it flat), and Prometheus's over the last hour (deriv). The leak alerts fire above 20 MB/h.",
      [(f'auralis_rss_slope_bytes_per_hour{{{I}}}', "{{instance}} server (24 h window)"),
       (f'auralis_rss_slope_recent_bytes_per_hour{{{I}}}', "{{instance}} server (newest half)"),
       (f'deriv(auralis_resident_memory_bytes{{{I}}}[1h]) * 3600', "{{instance}} deriv 1 h")], unit="bytes", w=8,
      extra={"fieldConfig": {"defaults": {"unit": "bytes", "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 0, "showPoints": "never", "spanNulls": True, "thresholdsStyle": {"mode": "line"}},
                                            "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 20000000}]}}, "overrides": []}})
d.add("Heap", "glibc heap handed out (auralis_heap_inuse_bytes: arenas plus mmapped blocks, counted when allocated) and held but free (auralis_heap_free_bytes).",
      [(f'auralis_heap_inuse_bytes{{{I}}}', "{{instance}} in use"),
       (f'auralis_heap_free_bytes{{{I}}}', "{{instance}} free in arenas")], unit="bytes", w=8)
d.row("Descriptors and jobs")
d.add("File descriptors", "Open descriptors and the limit (auralis_open_fds, auralis_max_fds); each listener holds one.",
      [(f'auralis_open_fds{{{I}}}', "{{instance}} open"), (f'auralis_max_fds{{{I}}}', "{{instance}} limit")], unit="short", w=8)
d.add("Export jobs running", "Save-what-I-heard export jobs rendering now (auralis_export_jobs_running).",
      [(f'sum by (instance) (auralis_export_jobs_running{{{I}}})', "{{instance}}")], unit="short", w=8)
d.add("Streams per render worker", "Streams being rendered per render thread (auralis_streams / auralis_render_workers).",
      [(f'sum by (instance) (auralis_streams{{{I}}}) / sum by (instance) (auralis_render_workers{{{I}}})', "{{instance}}")], unit="short", w=8)
d.dump("auralis-resource-usage", "Auralis: resource usage",
       "CPU, memory (RSS and its slope, heap), descriptors and render time of Auralis servers (docs/operations.md).",
       ["auralis"], f"{out}/resource-usage.json")
