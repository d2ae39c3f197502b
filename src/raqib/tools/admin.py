"""Topic administration with kafka-python: Faust does not create plain ``app.topic()`` topics."""

from __future__ import annotations

import contextlib
import logging
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from raqib.contracts.topics import ALL_TOPICS, TopicSpec
from raqib.settings import Settings

log = logging.getLogger(__name__)


def admin_client(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        client_id=f"{settings.app_id}-admin",
        **settings.kafka_security_kwargs(),
    )


#: Record batch header and a little slack: a record of ``max_message_bytes`` must fit a one-record batch.
BATCH_OVERHEAD_BYTES = 1024


def topic_configs(settings: Settings, spec: TopicSpec) -> dict[str, str]:
    """Configs raqib creates a topic with: the size limit the producer uses, durable replication, the spec's own."""
    configs = {
        "max.message.bytes": str(settings.max_message_bytes + BATCH_OVERHEAD_BYTES),
        "min.insync.replicas": str(min(settings.topic_min_insync_replicas, settings.topic_replication)),
    }
    configs.update(spec.config)
    return configs


def ensure_topics(
    settings: Settings, specs: tuple[TopicSpec, ...] = ALL_TOPICS, retries: int = 10
) -> list[str]:
    """Create any missing topics with the configured partitions; returns the names created."""
    last_error: Exception | None = None
    for attempt in range(retries):
        try:
            admin = admin_client(settings)
        except (KafkaError, OSError) as exc:
            last_error = exc
            time.sleep(min(0.5 * 2**attempt, 5.0))
            continue
        try:
            existing = set(admin.list_topics())
            missing = [
                NewTopic(
                    spec.name,
                    settings.topic_partitions,
                    settings.topic_replication,
                    topic_configs=topic_configs(settings, spec),
                )
                for spec in specs
                if spec.name not in existing
            ]
            created: list[str] = []
            for topic in missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics([topic])
                    created.append(topic.name)
            if created:
                log.info("created topics: %s", ", ".join(created))
            return created
        except KafkaError as exc:
            last_error = exc
            time.sleep(min(0.5 * 2**attempt, 5.0))
        finally:
            with contextlib.suppress(Exception):
                admin.close()
    raise RuntimeError(f"could not create topics on {settings.kafka_bootstrap}: {last_error}")
