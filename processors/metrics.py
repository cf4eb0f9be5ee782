"""Prometheus metrics of a worker, served on its web port at ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()

MESSAGES_IN = Counter("marsad_messages_in_total", "Messages consumed, by stage.", ["stage"],
                      registry=REGISTRY)
MESSAGES_OUT = Counter("marsad_messages_out_total", "Messages produced, by stage.", ["stage"],
                       registry=REGISTRY)
ERRORS = Counter("marsad_errors_total", "Processing errors, by stage and code.",
                 ["stage", "code"], registry=REGISTRY)
DEAD_LETTERS = Counter("marsad_dead_letters_total", "Messages sent to the dead-letter topic.",
                       ["stage"], registry=REGISTRY)
STAGE_SECONDS = Histogram("marsad_stage_seconds", "Processing time of one message, by stage.",
                          ["stage"], registry=REGISTRY,
                          buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                   0.5, 1, 2.5))
DEDUP_HITS = Counter("marsad_dedup_hits_total", "Stories found to be copies, by method.",
                     ["method"], registry=REGISTRY)
EVENTS_CODED = Counter("marsad_events_coded_total", "Events coded, by ACLED event type.",
                       ["event_type"], registry=REGISTRY)
SINK_BATCH = Histogram("marsad_sink_batch_size", "Rows per database transaction, by table.",
                       ["table"], registry=REGISTRY, buckets=(1, 5, 10, 25, 50, 100, 200, 500))
SINK_SECONDS = Histogram("marsad_sink_seconds", "Database transaction time, by table.",
                         ["table"], registry=REGISTRY,
                         buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
SINK_RETRIES = Counter("marsad_sink_retries_total", "Database writes retried after an error.",
                       ["table"], registry=REGISTRY)
DATABASE_UP = Gauge("marsad_database_up", "1 if the last database write succeeded.",
                    registry=REGISTRY)
SINK_REJECTED = Counter("marsad_sink_rejected_rows_total",
                        "Rows the database refused (bisected out and dead-lettered), by table "
                        "and error code.", ["table", "code"], registry=REGISTRY)
SINK_BISECT_WRITES = Counter("marsad_sink_bisect_writes_total",
                             "Extra transactions spent isolating rejected rows, by table.",
                             ["table"], registry=REGISTRY)

# Consumer lag of the partitions this worker holds, sampled by ``processors.lag_monitor``.
CONSUMER_LAG = Gauge("marsad_consumer_lag",
                     "Messages not yet committed: highwater minus committed offset (or "
                     "position), per assigned topic partition.", ["topic", "partition"],
                     registry=REGISTRY)
CONSUMER_HIGHWATER = Gauge("marsad_consumer_highwater",
                           "End offset (highwater) of each assigned topic partition.",
                           ["topic", "partition"], registry=REGISTRY)
CONSUMER_COMMITTED = Gauge("marsad_consumer_committed_offset",
                           "Offset this worker last committed (else its read position), per "
                           "assigned topic partition.", ["topic", "partition"],
                           registry=REGISTRY)
ASSIGNED_PARTITIONS = Gauge("marsad_assigned_partitions",
                            "Topic partitions assigned to this worker.", registry=REGISTRY)
LAG_SAMPLED_AT = Gauge("marsad_lag_sampled_timestamp_seconds",
                       "Unix time of the last successful lag sample.", registry=REGISTRY)
STALL_SEEKS = Counter("marsad_stall_seeks_total",
                      "Partitions sought back to their committed offset after Faust skipped "
                      "messages (see processors.stall_watchdog).", ["topic"], registry=REGISTRY)
STALE_ACKS = Counter("marsad_stale_acks_total",
                     "Acknowledgements ignored: the message was fetched before a rebalance (or "
                     "skipped while it ran) and is read again after it.", ["topic"],
                     registry=REGISTRY)
