"""The Faust app: configuration from Settings, every topic declared once (from raqib.contracts.topics).

This module builds the app and its topics and imports no agent (as in Faust's own example projects);
``raqib.streams.worker`` imports the agents, which register themselves on this app.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import faust

from raqib.contracts import topics as specs
from raqib.settings import Settings, get_settings


def broker_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """SASL/TLS options from settings (secrets come from the environment, never from code).

    Faust derives the security protocol from the credentials object, so the configured
    ``RAQIB_KAFKA_SECURITY_PROTOCOL`` is checked against what the credentials will make it: a mismatch
    (say SASL configured but the credentials would connect in PLAINTEXT) is an error, never a silent
    downgrade. Settings already refuses inconsistent combinations (see ``Settings._security_is_consistent``).
    """
    protocol = settings.kafka_security_protocol
    credentials = _credentials(settings)
    made = credentials.protocol.value if credentials is not None else "PLAINTEXT"
    if made != protocol:
        raise ValueError(f"Kafka credentials would connect with {made}, but {protocol} is configured")
    return credentials


def _credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    context: ssl.SSLContext | None = None
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(
            purpose=ssl.Purpose.SERVER_AUTH,
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
        )
        if settings.kafka_ssl_certfile:
            context.load_cert_chain(
                str(settings.kafka_ssl_certfile),
                str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None,
            )
    if settings.kafka_security_protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.get_secret_value()
            if settings.kafka_sasl_password
            else None,
            ssl_context=context,
            mechanism=settings.kafka_sasl_mechanism,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def create_app(settings: Settings) -> faust.App:
    """Build the Faust app. At-least-once: no idempotent producer or transactions are assumed."""
    brokers = ";".join(f"kafka://{host}" for host in settings.kafka_bootstrap.split(","))
    return faust.App(
        settings.app_id,
        broker=brokers,
        broker_credentials=broker_credentials(settings),
        processing_guarantee="at_least_once",
        producer_acks=-1,
        producer_max_batch_size=settings.producer_max_batch_size,
        # the same limit deliver() checks each output against and the topics are created with
        producer_max_request_size=settings.max_message_bytes,
        broker_session_timeout=settings.broker_session_timeout_s,
        broker_heartbeat_interval=settings.broker_heartbeat_interval_s,
        broker_commit_interval=settings.broker_commit_interval_s,
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_allow_declare=False,
        key_serializer="raw",
        value_serializer="raw",
        datadir=str(Path(settings.data_dir)),
        web_enabled=settings.web_enabled,
        web_port=settings.web_port,
        table_standby_replicas=0,
        autodiscover=False,
    )


def set_fetch_max_wait(ms: int) -> None:
    """Faust builds its worker consumer with ``fetch_max_wait_ms=1500`` hard-coded; use ``ms`` instead.

    Measured on the embedded Tansu broker: a fetch waiting for data was answered ~0.4-1.5 s late at 1500
    (7-15 ms at ≤ 500), so every hop between agents added up to 1.5 s. A real Kafka broker answers as soon
    as data arrives, so there the value only bounds idle polling.
    """
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    original = getattr(AIOKafkaConsumerThread, "_raqib_original_create", None) or (
        AIOKafkaConsumerThread._create_worker_consumer
    )

    def create(self: AIOKafkaConsumerThread, transport: object) -> object:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = ms  # read by AIOKafkaConsumer.start() when it builds its Fetcher
        return consumer

    AIOKafkaConsumerThread._raqib_original_create = original
    AIOKafkaConsumerThread._create_worker_consumer = create


def install_commit_guard() -> None:
    """Faust may commit past an un-acked record (faust-streaming #606): cap its commits (raqib.streams.guard)."""
    from faust.transport.consumer import Consumer

    from raqib.streams.guard import install

    install(Consumer)


settings = get_settings()
app = create_app(settings)
set_fetch_max_wait(settings.consumer_fetch_max_wait_ms)


def _topic(spec: specs.TopicSpec) -> faust.TopicT:
    return app.topic(
        spec.name, partitions=settings.topic_partitions, key_serializer="raw", value_serializer="raw"
    )


raw_topic = _topic(specs.RAW)
clean_topic = _topic(specs.CLEAN)
arabic_topic = _topic(specs.ARABIC)
other_topic = _topic(specs.OTHER)
entities_topic = _topic(specs.ENTITIES)
event_candidates_topic = _topic(specs.EVENT_CANDIDATES)
events_topic = _topic(specs.EVENTS)
enriched_topic = _topic(specs.ENRICHED)
alerts_topic = _topic(specs.ALERTS)
metrics_topic = _topic(specs.METRICS)
dlq_topic = _topic(specs.DLQ)
story_state_topic = _topic(specs.STORY_STATE)

install_commit_guard()
