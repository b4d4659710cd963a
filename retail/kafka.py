"""Kafka client settings for the environment's streaming endpoint: one place that knows how to reach the local
broker (plaintext on loopback) or Azure Event Hubs' Kafka endpoint (SASL_SSL; PLAIN with `$ConnectionString`
and a connection string from Key Vault or the environment, or OAUTHBEARER with an Entra token from
azure-identity). Producers and consumers in Python use `client_config`; the Spark job derives its options from
the same settings.
"""

from __future__ import annotations

from retail.secrets import credential, resolve_ref
from retail.settings import Settings, StreamingAuth


def client_config(settings: Settings) -> dict[str, object]:
    """confluent-kafka (librdkafka) configuration."""
    streaming = settings.streaming
    config: dict[str, object] = {"bootstrap.servers": streaming.bootstrap_servers}
    if streaming.auth is StreamingAuth.PLAINTEXT:
        return config
    config["security.protocol"] = "SASL_SSL"
    if streaming.auth is StreamingAuth.EVENTHUBS_CONNECTION_STRING:
        assert streaming.connection_string is not None  # the settings model insists on it
        return config | {"sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString",
                         "sasl.password": resolve_ref(settings, streaming.connection_string)}
    namespace = streaming.bootstrap_servers.split(":")[0]
    scope = f"https://{namespace}/.default"

    def token(_: object) -> tuple[str, float]:
        access = credential().get_token(scope)
        return access.token, float(access.expires_on)

    return config | {"sasl.mechanism": "OAUTHBEARER", "oauth_cb": token}


def topic(settings: Settings, role: str) -> str:
    """The topic (event hub) for a role of the settings' [streaming.topics], such as `pos`."""
    try:
        return settings.streaming.topics[role]
    except KeyError:
        raise KeyError(f"environment {settings.name} has no streaming topic for {role!r}") from None


class SparkKafkaAuthError(ValueError):
    """The environment's Kafka authentication has no Spark Kafka source equivalent in this project."""


def spark_options(settings: Settings) -> dict[str, str]:
    """Options of Spark's Kafka source (`kafka.`-prefixed client settings) for the environment's endpoint."""
    streaming = settings.streaming
    options = {"kafka.bootstrap.servers": streaming.bootstrap_servers}
    if streaming.auth is StreamingAuth.PLAINTEXT:
        return options
    if streaming.auth is StreamingAuth.EVENTHUBS_ENTRA:
        # The JVM client needs a login callback handler class for Entra tokens, which Spark's connector does not
        # ship; the Python producer covers Entra, the Spark job needs the connection string from Key Vault.
        raise SparkKafkaAuthError(
            f"environment {settings.name}: the Spark streaming job reads Event Hubs with auth "
            "eventhubs-connection-string (a Key Vault reference); eventhubs-entra works for Python clients only")
    assert streaming.connection_string is not None
    secret = resolve_ref(settings, streaming.connection_string).replace('"', '\\"')
    jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required '
            f'username="$ConnectionString" password="{secret}";')
    return options | {"kafka.security.protocol": "SASL_SSL", "kafka.sasl.mechanism": "PLAIN",
                      "kafka.sasl.jaas.config": jaas}
