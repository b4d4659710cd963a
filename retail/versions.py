"""Versions that must match the Synapse Spark runtime 3.5, in one place.

pyproject.toml pins the Python packages to the same numbers; a test keeps the two in step.
"""

SYNAPSE_RUNTIME = "3.5"
SPARK_VERSION = "3.5.5"
SCALA_BINARY = "2.12"
DELTA_VERSION = "3.2.1"
# The Kafka connector should be at SPARK_VERSION exactly. The Maven registry this project's machines reach serves
# spark-sql-kafka-0-10_2.12 at 3.5.0, 3.5.1, 3.5.3 and 3.5.7 only, so locally the newest release not past the
# runtime is used. On a Synapse pool the runtime's own connector is on the classpath and this value is unused.
KAFKA_CONNECTOR_VERSION = "3.5.3"
PYTHON_VERSION = "3.11"

# The local stand-in for Event Hubs: an Apache Kafka broker in KRaft mode, a separate JVM with its own classpath.
KAFKA_BROKER_VERSION = "3.9.1"
KAFKA_BROKER_SCALA = "2.13"

SPARK_PACKAGES: tuple[str, ...] = (
    f"io.delta:delta-spark_{SCALA_BINARY}:{DELTA_VERSION}",
    f"org.apache.spark:spark-sql-kafka-0-10_{SCALA_BINARY}:{KAFKA_CONNECTOR_VERSION}",
)
BROKER_PACKAGES: tuple[str, ...] = (
    f"org.apache.kafka:kafka_{KAFKA_BROKER_SCALA}:{KAFKA_BROKER_VERSION}",
    # Kafka logs through slf4j; without a binding the broker is silent about failures.
    "org.slf4j:slf4j-reload4j:1.7.36",
)
