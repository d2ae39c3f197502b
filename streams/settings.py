"""One settings object for the whole service, read from ``RAQIB_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


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
    topic_replication: int = Field(default=1, ge=1)
    create_topics: bool = Field(default=True, description="Create missing topics at worker start.")

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
    worker_id: str | None = Field(default=None, description="Defaults to hostname-pid.")
    log_level: str | None = Field(
        default=None,
        description="Every logger (client libraries too) at this level on the terminal; unset = raqib's own "
        "lines only, the rest in the run's log file (see streams/logs.py).",
    )
    log_dir: Path = Field(default=Path("var/log"), description="Where each command writes <command>.log.")

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
