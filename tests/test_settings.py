"""Settings refuse Kafka security combinations that would leak a password or ignore a certificate."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from raqib.settings import Settings
from raqib.streams.app import broker_credentials


def test_plaintext_with_sasl_is_an_error_never_a_cleartext_password() -> None:
    with pytest.raises(ValidationError, match="needs RAQIB_KAFKA_SECURITY_PROTOCOL=SASL_SSL"):
        Settings(kafka_sasl_mechanism="SCRAM-SHA-512", kafka_sasl_username="u", kafka_sasl_password="p")
    with pytest.raises(ValidationError, match="would never be used"):
        Settings(kafka_sasl_username="u", kafka_sasl_password="p")
    with pytest.raises(ValidationError, match="password in clear text"):
        Settings(
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="PLAIN",
            kafka_sasl_username="u",
            kafka_sasl_password="p",
        )


def test_sasl_and_tls_need_their_parts() -> None:
    with pytest.raises(ValidationError, match="needs RAQIB_KAFKA_SASL_MECHANISM"):
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="u", kafka_sasl_password="p")
    with pytest.raises(ValidationError, match="needs RAQIB_KAFKA_SASL_USERNAME"):
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-256")
    with pytest.raises(ValidationError, match="does not use TLS"):
        Settings(kafka_ssl_cafile="/etc/ca.pem")
    with pytest.raises(ValidationError, match="KEYFILE needs"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_keyfile="/k.pem")


def test_the_protocol_is_passed_explicitly_and_matches_the_credentials() -> None:
    assert broker_credentials(Settings()) is None
    sasl = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="raqib",
        kafka_sasl_password="secret",
    )
    credentials = broker_credentials(sasl)
    assert credentials.protocol.value == "SASL_SSL" and credentials.mechanism.value == "SCRAM-SHA-512"
    assert sasl.kafka_security_kwargs()["security_protocol"] == "SASL_SSL"
    scram_plain = Settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="raqib",
        kafka_sasl_password="secret",
    )
    assert broker_credentials(scram_plain).protocol.value == "SASL_PLAINTEXT"
    assert broker_credentials(Settings(kafka_security_protocol="SSL")).protocol.value == "SSL"


def test_durable_topic_defaults() -> None:
    settings = Settings()
    assert settings.topic_replication == 3 and settings.topic_min_insync_replicas == 2
    from raqib.contracts.topics import DLQ, STORY_STATE
    from raqib.tools.admin import topic_configs

    assert topic_configs(settings, DLQ) == {"max.message.bytes": "1001024", "min.insync.replicas": "2"}
    assert topic_configs(settings, STORY_STATE)["cleanup.policy"] == "compact"
    one = Settings(topic_replication=1)
    assert topic_configs(one, DLQ)["min.insync.replicas"] == "1"  # never above the replication factor
