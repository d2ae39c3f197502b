"""One settings object for the whole service, read from ``RAQIB_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]  # src/raqib/settings.py → the checkout


def default_shared_dir() -> Path:
    """``../shared`` beside the repository (the layout CI and developers use)."""
    return REPO_ROOT.parent / "shared"


class Settings(BaseSettings):
    """Every knob of a raqib worker. Defaults run the embedded demo on one machine."""

    model_config = SettingsConfigDict(env_prefix="RAQIB_", frozen=True, extra="ignore")

    # --- Kafka -------------------------------------------------------------------------
    kafka_bootstrap: str = Field(default="localhost:9092", description="host:port[,host:port…]")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    topic_partitions: int = Field(default=4, ge=1, description="Partitions for topics raqib creates.")
    topic_replication: int = Field(
        default=3,
        ge=1,
        description="Replication factor of topics raqib creates. 3 (with min.insync.replicas=2) survives one "
        "broker loss without losing an acknowledged record; the embedded single-broker run sets 1.",
    )
    topic_min_insync_replicas: int = Field(
        default=2,
        ge=1,
        description="min.insync.replicas of topics raqib creates (capped at the replication factor).",
    )
    create_topics: bool = Field(default=True, description="Create missing topics at worker start.")
    max_message_bytes: int = Field(
        default=1_000_000,
        ge=10_000,
        description="Largest record raqib sends (key + value + record overhead). Passed to the producer as "
        "max_request_size and set as max.message.bytes on the topics raqib creates; a bigger output "
        "becomes a compact DeadLetter (output_too_large) instead of a send the client would reject.",
    )
    max_key_bytes: int = Field(
        default=256,
        ge=32,
        description="Longer article ids and message keys are cut to a prefix plus a hash of the whole "
        "(raqib.stages.ingest.cap_key), so a 600 KB key cannot double every record's size on every hop.",
    )
    send_retry_budget_s: float = Field(
        default=300.0,
        gt=0,
        description="How long retriable send errors (broker away, leader moving) are retried, with "
        "exponential backoff and jitter, before the worker stops so that nothing is committed past them.",
    )
    send_backoff_max_s: float = Field(default=30.0, gt=0, description="Cap of one retry delay.")

    # --- Faust -------------------------------------------------------------------------
    app_id: str = "raqib"
    data_dir: Path = Field(default=Path("var/faust"), description="Faust state directory (tables, offsets).")
    broker_session_timeout_s: float = 10.0
    broker_heartbeat_interval_s: float = 1.0
    broker_commit_interval_s: float = 1.0
    consumer_fetch_max_wait_ms: int = Field(
        default=1500,
        ge=1,
        description="Long-poll cap of a fetch (Faust hard-codes 1500). Tansu answers a waiting fetch late, "
        "so each hop cost up to this; the embedded broker uses 100.",
    )
    producer_idempotence: bool = Field(
        default=True, description="kafka-python producer idempotence (off for Tansu)."
    )
    producer_max_batch_size: int = Field(
        default=16384, description="Bytes; 1 for brokers without multi-record batches."
    )
    web_port: int = Field(default=6066, description="Faust's own web server port.")
    web_enabled: bool = False

    # --- Stages ------------------------------------------------------------------------
    shared_dir: Path = Field(default_factory=default_shared_dir)
    max_text_bytes: int = Field(default=1_000_000, ge=1, description="Larger articles go to the DLQ.")
    max_paragraphs: int = Field(
        default=10_000,
        ge=1,
        description="More non-empty lines than this on one page: DLQ (too_complex) before cleaning. Real "
        "news pages have under 1,000 (5,000 corpus articles: max 802).",
    )
    max_offset_segments: int = Field(
        default=4_000,
        ge=1,
        description="More clean→raw offset-map segments than this: DLQ (too_complex). 5,000 corpus "
        "articles: max 152; a page of thousands of short paragraphs has one per paragraph.",
    )
    max_ner_tokens: int = Field(
        default=12_000,
        ge=1,
        description="More whitespace tokens than this in one article's clean text: DLQ (too_complex) "
        "instead of one Stanza call that holds the NER stage for every partition of the worker "
        "(5,000 corpus articles: max 5,136 words; ~2 s of NER per 10,000 tokens on one core).",
    )
    article_deadline_s: float = Field(
        default=20.0,
        gt=0,
        description="Per-article time budget of a stage, checked cooperatively inside the clean stage's "
        "loops and between NER groups: over it, the article goes to the DLQ (deadline_exceeded), "
        "which `raqib audit --redrive-dlq deadline_exceeded` can re-drive.",
    )
    min_text_chars: int = Field(default=20, ge=1, description="Below this after cleaning: DLQ (empty_text).")
    ner_model_dir: Path | None = Field(
        default=None, description="Folder with the Stanza NER model + pretrain."
    )
    ner_model_file: str | None = Field(default=None, description="Model file name inside ner_model_dir.")
    ner_pretrain_file: str | None = Field(
        default=None, description="Pretrain file name inside ner_model_dir."
    )
    stanza_resources_dir: Path = Field(default=Path.home() / ".cache" / "raqib" / "stanza")
    ner_batch_size: int = Field(
        default=4,
        ge=1,
        description="Articles per Stanza batch (stream.take). Bench: same throughput as 16 (long articles fill "
        "a batch anyway), p99 latency at half the peak rate 3.1 s → 2.2 s (less head-of-line blocking).",
    )
    ner_batch_wait_s: float = Field(default=0.05, gt=0, description="Max wait to fill a batch.")
    ner_group_tokens: int = Field(
        default=1200,
        ge=1,
        description="A taken batch runs through Stanza shortest article first, in groups of about this many "
        "tokens (estimated from message size), each delivered as soon as it is tagged: a short article no "
        "longer waits for a long one taken with it.",
    )
    ner_propagate: bool = Field(
        default=True,
        description="Tag later mentions of a name the model found once in the article (+1.6 F1).",
    )
    ner_quantize: Literal["none", "int8"] = Field(
        default="none",
        description="'int8': dynamic int8 LSTMs/linears (1.5x faster NER on CPU, -0.1 F1 on ANERcorp test).",
    )
    torch_threads: int = Field(
        default=1,
        ge=0,
        description="CPU threads for Stanza; 0 = torch default. 1 + one worker per core measured best (bench).",
    )
    gazetteer_path: Path | None = Field(default=None, description="Open-Syria gazetteer JSONL.")
    langid_threshold: float = Field(default=0.80, ge=0, le=1, description="Below: ask pycld2 as well.")
    langid_min_chars: int = Field(default=10, ge=1, description="Fewer letters: language 'und'.")
    alert_rules_path: Path | None = Field(
        default=None, description="YAML alert rules; None = built-in defaults."
    )
    alertmanager_url: str | None = Field(
        default=None, description="e.g. http://alertmanager:9093; None = off."
    )
    pushgateway_url: str | None = Field(
        default=None,
        description="Prometheus Pushgateway (e.g. http://pushgateway:9091) that `raqib audit` pushes its "
        "result to, so an audit run as a CronJob feeds the alert rules; None = off.",
    )

    # --- Ops ---------------------------------------------------------------------------
    metrics_port: int = Field(default=9108, ge=0, description="Prometheus /metrics port (0 = off).")
    metrics_snapshot_interval_s: float = Field(default=30.0, gt=0)
    health_loop_lag_s: float = Field(
        default=30.0,
        gt=0,
        description="/healthz fails when the event loop has not run its heartbeat for this long.",
    )
    health_stall_s: float = Field(
        default=300.0,
        gt=0,
        description="/healthz fails when consumer lag is positive and not shrinking and no batch has "
        "completed for this long (a stuck stage, a send retried forever).",
    )
    worker_id: str | None = Field(default=None, description="Defaults to hostname-pid.")
    log_level: str | None = Field(
        default=None,
        description="Every logger (client libraries too) at this level on the terminal; unset = raqib's own "
        "lines only, the rest in the run's log file (see raqib.observability.logs).",
    )
    log_dir: Path = Field(default=Path("var/log"), description="Where each command writes <command>.log.")

    @model_validator(mode="after")
    def _security_is_consistent(self) -> Settings:
        """SASL/TLS settings must match the protocol: never send a password in clear, never ignore a cert."""
        protocol = self.kafka_security_protocol
        sasl = protocol in ("SASL_PLAINTEXT", "SASL_SSL")
        tls = protocol in ("SSL", "SASL_SSL")
        problems: list[str] = []
        if self.kafka_sasl_mechanism and not sasl:
            problems.append(
                f"RAQIB_KAFKA_SASL_MECHANISM={self.kafka_sasl_mechanism} needs RAQIB_KAFKA_SECURITY_PROTOCOL="
                f"SASL_SSL (or SASL_PLAINTEXT), not {protocol}: the credentials would not be used"
            )
        if sasl and not self.kafka_sasl_mechanism:
            problems.append(f"RAQIB_KAFKA_SECURITY_PROTOCOL={protocol} needs RAQIB_KAFKA_SASL_MECHANISM")
        if sasl and (not self.kafka_sasl_username or self.kafka_sasl_password is None):
            problems.append(f"{protocol} needs RAQIB_KAFKA_SASL_USERNAME and RAQIB_KAFKA_SASL_PASSWORD")
        if (self.kafka_sasl_username or self.kafka_sasl_password is not None) and not sasl:
            problems.append(
                f"a SASL username/password is set but RAQIB_KAFKA_SECURITY_PROTOCOL={protocol}: it would "
                "never be used; set SASL_SSL"
            )
        tls_files = [f for f in ("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile") if getattr(self, f)]
        if tls_files and not tls:
            problems.append(
                f"{', '.join('RAQIB_' + f.upper() for f in tls_files)} set but RAQIB_KAFKA_SECURITY_PROTOCOL="
                f"{protocol} does not use TLS"
            )
        if self.kafka_ssl_keyfile and not self.kafka_ssl_certfile:
            problems.append("RAQIB_KAFKA_SSL_KEYFILE needs RAQIB_KAFKA_SSL_CERTFILE")
        if protocol == "SASL_PLAINTEXT" and self.kafka_sasl_mechanism == "PLAIN":
            problems.append(
                "SASL_PLAINTEXT with mechanism PLAIN sends the password in clear text: use SASL_SSL"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def resolved_ner_model_dir(self) -> Path:
        """The configured model folder, else the better offline model in ../shared."""
        return self.ner_model_dir or self.shared_dir / "models" / "stanza-ar-ner-news"

    @property
    def resolved_gazetteer_path(self) -> Path:
        return self.gazetteer_path or self.shared_dir / "data" / "gazetteer" / "syria_admin_gazetteer.jsonl"

    def kafka_security_kwargs(self) -> dict[str, object]:
        """kafka-python style security options (also used to build Faust's credentials)."""
        kwargs: dict[str, object] = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_sasl_mechanism:
            kwargs["sasl_mechanism"] = self.kafka_sasl_mechanism
            kwargs["sasl_plain_username"] = self.kafka_sasl_username
            kwargs["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        if self.kafka_ssl_cafile:
            kwargs["ssl_cafile"] = str(self.kafka_ssl_cafile)
        if self.kafka_ssl_certfile:
            kwargs["ssl_certfile"] = str(self.kafka_ssl_certfile)
        if self.kafka_ssl_keyfile:
            kwargs["ssl_keyfile"] = str(self.kafka_ssl_keyfile)
        return kwargs


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (read once from the environment)."""
    return Settings()
