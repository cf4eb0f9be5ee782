"""Every Kafka topic Marsad uses, in one place: name, key, payload and configuration.

Data flows raw → clean → dedup → (articles sink) and unique → extract → events → (events sink).
Faust creates its own changelog topics for tables (compacted); they are listed by
``marsad status`` but not declared here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """A logical topic; the full name is ``<prefix>.<name>``."""

    name: str
    key: str
    value: str
    description: str
    config: dict[str, str] = field(default_factory=dict)


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("articles.raw", "article id", "RawArticle",
              "Articles as scrapers deliver them.", {"retention.ms": str(30 * DAY_MS)}),
    TopicSpec("articles.clean", "text hash", "CleanArticle",
              "Boilerplate-free, normalised stories (a glued file gives several), keyed by "
              "the hash of their normalised text so exact copies meet in one partition.",
              {"retention.ms": str(30 * DAY_MS)}),
    TopicSpec("articles.bands", "band key (explicit partition)", "NearProbe",
              "MinHash bands of each new story, sent to the partition that owns the band so "
              "near-copies meet whichever worker cleaned them.",
              {"retention.ms": str(7 * DAY_MS)}),
    TopicSpec("articles.near", "article id", "NearPending / NearVerdict",
              "A story waiting for its near-duplicate verdict, and the verdicts of each band "
              "partition.", {"retention.ms": str(7 * DAY_MS)}),
    TopicSpec("articles.deduped", "article id", "DedupedArticle",
              "Every story once, with duplicate_of set for copies (and late DuplicateLink "
              "corrections); read by the articles sink.",
              {"retention.ms": str(30 * DAY_MS)}),
    TopicSpec("articles.unique", "article id", "DedupedArticle",
              "First-seen stories only, read by the extract agent.",
              {"retention.ms": str(30 * DAY_MS)}),
    TopicSpec("events", "event id", "EventBatch",
              "Coded events of one story (possibly none), read by the events sink.",
              {"retention.ms": str(30 * DAY_MS)}),
    TopicSpec("deadletter", "source topic", "DeadLetter",
              "Messages that failed validation or processing, with the reason.",
              {"retention.ms": str(90 * DAY_MS)}),
)

TOPIC_BY_NAME = {t.name: t for t in TOPICS}
